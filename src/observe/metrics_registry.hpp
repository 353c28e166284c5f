#pragma once
// A small Prometheus registry: counters, gauges and histograms grouped in labelled families, and
// their text exposition (format 0.0.4). There is no global registry: the agent owns one and hands
// references to whatever records into it, so several targets (Secrets) can share it with their own
// label values.
//
// Thread Safety: use from the io_context's thread only (every recorder runs there).

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gic::observe {

class Counter {
public:
    // Counters only go up; a negative increment is a programming error (std::invalid_argument).
    void inc(double by = 1.0);
    double value() const { return value_; }

private:
    double value_ = 0.0;
};

class Gauge {
public:
    void set(double v) { value_ = v; }
    void inc(double by = 1.0) { value_ += by; }
    double value() const { return value_; }

private:
    double value_ = 0.0;
};

class Histogram {
public:
    // `bounds`: strictly increasing upper bounds, without +Inf (added implicitly).
    explicit Histogram(std::vector<double> const& bounds);
    void observe(double v);

    std::vector<double> const& bounds() const { return bounds_; }
    // Cumulative counts, one per bound and a last one for +Inf (== count()).
    std::vector<std::uint64_t> cumulative_counts() const;
    std::uint64_t count() const { return count_; }
    double sum() const { return sum_; }

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> per_bucket_;  // non-cumulative, last is +Inf
    std::uint64_t count_ = 0;
    double sum_ = 0.0;
};

enum class MetricType { counter, gauge, histogram };

// A metric name and its children by label values. Children live as long as the family and never
// move, so callers may keep references.
template <class Metric>
class Family {
public:
    Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds = {});

    // The child with these label values (one per label name, in order); created on first use.
    // A wrong number of values is a programming error (std::invalid_argument).
    Metric& with(std::vector<std::string> const& label_values);

    std::string const& name() const { return name_; }
    std::string const& help() const { return help_; }
    std::vector<std::string> const& label_names() const { return label_names_; }
    std::map<std::vector<std::string>, std::unique_ptr<Metric>> const& children() const { return children_; }

private:
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    std::vector<double> bounds_;
    std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
public:
    Registry() = default;
    Registry(Registry const&) = delete;
    Registry& operator=(Registry const&) = delete;

    // Names and label names must match the Prometheus data model and be unique in the registry;
    // violations are programming errors (std::invalid_argument naming the metric).
    CounterFamily& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
    GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
    HistogramFamily& histogram(std::string name, std::string help, std::vector<double> bounds,
                               std::vector<std::string> label_names = {});

    // Text exposition format 0.0.4, families in registration order, children sorted by label values.
    // An unlabelled family always has its one sample (0 until recorded).
    std::string expose() const;

private:
    void check_new(std::string const& name, std::vector<std::string> const& label_names, bool histogram) const;

    struct Entry {
        MetricType type;
        std::unique_ptr<CounterFamily> counters;
        std::unique_ptr<GaugeFamily> gauges;
        std::unique_ptr<HistogramFamily> histograms;
    };
    std::vector<Entry> entries_;
};

// The content type of expose()'s output.
inline constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

// Exposition helpers (exposed for tests).
std::string format_sample_value(double v);         // "1", "0.25", "+Inf", "NaN"
std::string escape_label_value(std::string_view v);  // \\ \" \n
std::string escape_help(std::string_view v);         // \\ \n

}  // namespace gic::observe
