// The dashboard's static files (web/), embedded in the binary at build time
// by cmake/embed_web.cmake, so `steward serve` needs nothing at run time: no
// CDN, no files next to the binary.
#pragma once

#include <span>
#include <string_view>

namespace steward::server {

struct WebAsset {
  std::string_view path;          // URL path, e.g. "/ui/app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view body;
};

// The asset at `path`, or nullptr. Linear: a few dozen entries.
const WebAsset* FindWebAsset(std::string_view path);
std::span<const WebAsset> AllWebAssets();

}  // namespace steward::server
