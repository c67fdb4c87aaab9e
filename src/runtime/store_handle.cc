#include "steward/store_handle.h"

#include "store/store.h"

namespace steward {

Result<std::shared_ptr<Store>> OpenSharedStore(const std::string& url) {
  STEWARD_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(url));
  STEWARD_RETURN_IF_ERROR(store->Migrate());
  return std::shared_ptr<Store>(std::move(store));
}

}  // namespace steward
