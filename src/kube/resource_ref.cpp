// URL paths of Kubernetes resources.

#include "kube/client.hpp"

#include <stdexcept>

namespace gic::kube {

namespace {

// Names are DNS labels/subdomains chosen by our own code, so anything that would change the
// shape of the path is a programming error, not input to encode.
void require_path_segment(std::string const& value, char const* what, bool may_be_empty) {
    if (value.empty()) {
        if (may_be_empty) return;
        throw std::invalid_argument(std::string("ResourceRef: empty ") + what);
    }
    if (value.find_first_of("/?#%") != std::string::npos || value == "." || value == "..") {
        throw std::invalid_argument(std::string("ResourceRef: ") + what + " \"" + value + "\" is not a valid path segment");
    }
}

}  // namespace

std::string ResourceRef::path() const {
    require_path_segment(resource, "resource", false);
    require_path_segment(namespace_, "namespace", true);
    require_path_segment(name, "name", true);
    require_path_segment(subresource, "subresource", true);
    if (!subresource.empty() && name.empty()) {
        throw std::invalid_argument("ResourceRef: subresource \"" + subresource + "\" needs an object name");
    }

    std::string out;
    if (group_version == "v1") {
        out = "/api/v1";
    } else {
        auto const slash = group_version.find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == group_version.size() ||
            group_version.find('/', slash + 1) != std::string::npos) {
            throw std::invalid_argument("ResourceRef: group_version \"" + group_version +
                                        "\" must be \"v1\" or \"<group>/<version>\"");
        }
        out = "/apis/" + group_version;
    }
    if (!namespace_.empty()) out += "/namespaces/" + namespace_;
    out += "/" + resource;
    if (!name.empty()) out += "/" + name;
    if (!subresource.empty()) out += "/" + subresource;
    return out;
}

}  // namespace gic::kube
