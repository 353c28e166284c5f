#include "observe/metrics_registry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace gic::observe {
namespace {

bool valid_name(std::string_view n, bool allow_colon) {
    if (n.empty()) return false;
    auto ok_first = [&](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':'); };
    if (!ok_first(n.front())) return false;
    return std::all_of(n.begin(), n.end(), [&](char c) { return ok_first(c) || std::isdigit(static_cast<unsigned char>(c)); });
}

// {a="x",b="y"} with an optional extra label (le) appended; empty when there is nothing to print.
std::string label_block(std::vector<std::string> const& names, std::vector<std::string> const& values,
                        std::string_view extra_name = {}, std::string_view extra_value = {}) {
    if (names.empty() && extra_name.empty()) return {};
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ',';
        out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
    }
    if (!extra_name.empty()) {
        if (!names.empty()) out += ',';
        out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
    }
    return out + "}";
}

void header(std::string& out, std::string const& name, std::string const& help, std::string_view type) {
    out += "# HELP " + name + " " + escape_help(help) + "\n";
    out += "# TYPE " + name + " " + std::string(type) + "\n";
}

template <class Metric>
void expose_simple(std::string& out, Family<Metric> const& family, std::string_view type) {
    header(out, family.name(), family.help(), type);
    for (auto const& [values, metric] : family.children())
        out += family.name() + label_block(family.label_names(), values) + " " + format_sample_value(metric->value()) + "\n";
}

void expose_histogram(std::string& out, HistogramFamily const& family) {
    header(out, family.name(), family.help(), "histogram");
    for (auto const& [values, h] : family.children()) {
        auto counts = h->cumulative_counts();
        for (std::size_t i = 0; i < counts.size(); ++i) {
            auto le = i < h->bounds().size() ? format_sample_value(h->bounds()[i]) : std::string("+Inf");
            out += family.name() + "_bucket" + label_block(family.label_names(), values, "le", le) + " " +
                   std::to_string(counts[i]) + "\n";
        }
        auto labels = label_block(family.label_names(), values);
        out += family.name() + "_sum" + labels + " " + format_sample_value(h->sum()) + "\n";
        out += family.name() + "_count" + labels + " " + std::to_string(h->count()) + "\n";
    }
}

}  // namespace

void Counter::inc(double by) {
    if (by < 0) throw std::invalid_argument("a counter cannot be decreased");
    value_ += by;
}

Histogram::Histogram(std::vector<double> const& bounds) : bounds_(bounds), per_bucket_(bounds.size() + 1, 0) {
    for (std::size_t i = 1; i < bounds_.size(); ++i)
        if (!(bounds_[i - 1] < bounds_[i])) throw std::invalid_argument("histogram bounds must be strictly increasing");
}

void Histogram::observe(double v) {
    // Buckets are "less than or equal": v lands in the first bound >= v.
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    ++per_bucket_[static_cast<std::size_t>(it - bounds_.begin())];
    ++count_;
    sum_ += v;
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
    std::vector<std::uint64_t> out(per_bucket_.size());
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < per_bucket_.size(); ++i) out[i] = running += per_bucket_[i];
    return out;
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), bounds_(std::move(bounds)) {
    // An unlabelled family has exactly one child, present from the start (a counter reads 0).
    if (label_names_.empty()) with({});
}

template <class Metric>
Metric& Family<Metric>::with(std::vector<std::string> const& label_values) {
    if (label_values.size() != label_names_.size())
        throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                                    " label values, got " + std::to_string(label_values.size()));
    auto it = children_.find(label_values);
    if (it == children_.end()) {
        std::unique_ptr<Metric> child;
        if constexpr (std::is_same_v<Metric, Histogram>)
            child = std::make_unique<Histogram>(bounds_);
        else
            child = std::make_unique<Metric>();
        it = children_.emplace(label_values, std::move(child)).first;
    }
    return *it->second;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void Registry::check_new(std::string const& name, std::vector<std::string> const& label_names, bool histogram) const {
    if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name '" + name + "'");
    for (auto const& l : label_names) {
        if (!valid_name(l, false) || l.starts_with("__"))
            throw std::invalid_argument("metric " + name + ": invalid label name '" + l + "'");
        if (histogram && l == "le") throw std::invalid_argument("metric " + name + ": a histogram cannot have the label 'le'");
    }
    for (auto const& e : entries_) {
        auto const& existing = e.type == MetricType::counter ? e.counters->name()
                               : e.type == MetricType::gauge ? e.gauges->name()
                                                             : e.histograms->name();
        if (existing == name) throw std::invalid_argument("metric " + name + " is registered twice");
    }
}

CounterFamily& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
    check_new(name, label_names, false);
    Entry e{MetricType::counter, std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(label_names)), {}, {}};
    entries_.push_back(std::move(e));
    return *entries_.back().counters;
}

GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
    check_new(name, label_names, false);
    Entry e{MetricType::gauge, {}, std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(label_names)), {}};
    entries_.push_back(std::move(e));
    return *entries_.back().gauges;
}

HistogramFamily& Registry::histogram(std::string name, std::string help, std::vector<double> bounds,
                                     std::vector<std::string> label_names) {
    check_new(name, label_names, true);
    if (bounds.empty()) throw std::invalid_argument("histogram " + name + " needs at least one bucket bound");
    Histogram const probe(bounds);  // validates the bounds before anything is registered
    Entry e{MetricType::histogram, {}, {},
            std::make_unique<HistogramFamily>(std::move(name), std::move(help), std::move(label_names), std::move(bounds))};
    entries_.push_back(std::move(e));
    return *entries_.back().histograms;
}

std::string Registry::expose() const {
    std::string out;
    for (auto const& e : entries_) {
        switch (e.type) {
            case MetricType::counter: expose_simple(out, *e.counters, "counter"); break;
            case MetricType::gauge: expose_simple(out, *e.gauges, "gauge"); break;
            case MetricType::histogram: expose_histogram(out, *e.histograms); break;
        }
    }
    return out;
}

std::string format_sample_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    // Shortest text that reads back as the same double; whole numbers (timestamps, counts) print in
    // full rather than as 1.7e+09.
    bool const whole = v == std::floor(v) && std::fabs(v) < 9.0e15;
    auto [end, ec] = whole ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                           : std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;  // 64 bytes always hold a double
    return std::string(buf, end);
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string escape_help(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

}  // namespace gic::observe
