// Kubeconfig YAML (--kubeconfig, KUBECONFIG): parsing into the model. Resolving is left out: it
// reads the files the kubeconfig names.
// Invariant: every stanza has a name and remembers the file it came from.

#include "fuzz_check.hpp"
#include "kube/kubeconfig.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string const origin = "/etc/gen-istio-cert/kubeconfig";
    std::string const text(reinterpret_cast<char const*>(data), size);
    auto model = gic::kube::parse_kubeconfig_text(text, origin);
    if (!model) {
        FUZZ_CHECK(!model.error().message.empty());
        return 0;
    }
    for (auto const& [name, cluster] : model->clusters) FUZZ_CHECK(!name.empty() && cluster.origin == origin);
    for (auto const& [name, user] : model->users) FUZZ_CHECK(!name.empty() && user.origin == origin);
    for (auto const& [name, context] : model->contexts) FUZZ_CHECK(!name.empty() && context.origin == origin);
    return 0;
}
