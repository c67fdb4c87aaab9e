// Store: the database a Worker and a Client work on, as an opaque handle.
//
//   auto store = steward::OpenSharedStore("sqlite://./steward.db");
//   auto worker = steward::Worker::Create(*store, options);
//   steward::Client client(*store);   // its enqueues wake the worker at once
//
// A program never calls into a Store itself; it passes the handle to
// Worker::Create and Client so both share one connection pool and in-process
// wake-ups. The type is deliberately incomplete here (its interface lives
// inside the library and changes with the schema).
#pragma once

#include <memory>
#include <string>

#include "steward/status.h"

namespace steward {

class Store;  // opaque

// Opens the database at `url` and applies pending migrations. URL forms:
// "sqlite:///abs/path.db", "sqlite://./rel.db", a bare path (SQLite), or
// "postgres://..." / "postgresql://...". Errors: kInvalidArgument for a
// malformed URL, kUnavailable when the database cannot be reached,
// kPermissionDenied for an unwritable file or failed authentication,
// kFailedPrecondition when the file is not a Steward database or its schema
// is newer than this library.
Result<std::shared_ptr<Store>> OpenSharedStore(const std::string& url);

}  // namespace steward
