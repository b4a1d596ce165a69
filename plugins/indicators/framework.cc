// Parameter validation, metadata JSON and input checks shared by every
// indicator of the plugin (see framework.h).
#include "framework.h"

#include <cstdio>
#include <string_view>

namespace sf::indicators {

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", v);
    // Prefer the shortest form that reads back exactly.
    for (int prec = 1; prec <= 17; ++prec) {
      char shorter[64];
      std::snprintf(shorter, sizeof shorter, "%.*g", prec, v);
      if (std::strtod(shorter, nullptr) == v) {
        std::snprintf(buf, sizeof buf, "%s", shorter);
        break;
      }
    }
  }
  return buf;
}

void ThrowInvalid(const std::string& message) {
  throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, message);
}

void ValidateParams(const IndicatorSpec& spec, const double* values, uint32_t count) {
  const std::string_view id = spec.id;
  if (count != spec.params.size()) {
    ThrowInvalid(std::string(id) + ": expected " + std::to_string(spec.params.size()) +
                 " parameter(s), got " + std::to_string(count));
  }
  if (count > 0 && values == nullptr) ThrowInvalid(std::string(id) + ": parameter array is NULL");
  for (uint32_t k = 0; k < count; ++k) {
    const ParamSpec& ps = spec.params[k];
    const double v = values[k];
    const bool is_int = ps.type == ParamType::kInt;
    const bool bad = !std::isfinite(v) || (is_int && v != std::floor(v)) || v < ps.min ||
                     v > ps.max;
    if (bad) {
      // The message is built only here: every compute() validates, and a
      // universe pass makes thousands of calls.
      const std::string rule = std::string(is_int ? "an integer in [" : "a number in [") +
                               FormatNumber(ps.min) + ", " + FormatNumber(ps.max) + "]";
      ThrowInvalid(std::string(id) + ": " + ps.name + " must be " + rule + ", got " +
                   FormatNumber(v));
    }
  }
}

namespace {

void AppendJsonString(std::string& out, const char* s) {
  out += '"';
  for (const char* p = s; *p != '\0'; ++p) {
    const char c = *p;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendJsonNumber(std::string& out, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Shortest exact form keeps the metadata readable (0.02 not 0.0200000...).
  for (int prec = 1; prec <= 17; ++prec) {
    char shorter[64];
    std::snprintf(shorter, sizeof shorter, "%.*g", prec, v);
    if (std::strtod(shorter, nullptr) == v) {
      out += shorter;
      return;
    }
  }
  out += buf;
}

}  // namespace

std::string BuildMetadataJson(const IndicatorSpec& spec) {
  std::string j = "{\"title\":";
  AppendJsonString(j, spec.title);
  j += ",\"group\":";
  AppendJsonString(j, spec.group);
  j += ",\"inputs\":[";
  const char* names[] = {"open", "high", "low", "close", "volume", "time"};
  const uint32_t bits[] = {SF_INPUT_OPEN,  SF_INPUT_HIGH,   SF_INPUT_LOW,
                           SF_INPUT_CLOSE, SF_INPUT_VOLUME, SF_INPUT_TIME};
  bool first = true;
  for (int k = 0; k < 6; ++k) {
    if ((spec.inputs & bits[k]) == 0) continue;
    if (!first) j += ',';
    first = false;
    AppendJsonString(j, names[k]);
  }
  j += "],\"params\":[";
  for (size_t k = 0; k < spec.params.size(); ++k) {
    const ParamSpec& p = spec.params[k];
    if (k > 0) j += ',';
    j += "{\"name\":";
    AppendJsonString(j, p.name);
    j += ",\"type\":";
    AppendJsonString(j, p.type == ParamType::kInt ? "int" : "double");
    j += ",\"default\":";
    AppendJsonNumber(j, p.def);
    j += ",\"min\":";
    AppendJsonNumber(j, p.min);
    j += ",\"max\":";
    AppendJsonNumber(j, p.max);
    j += ",\"description\":";
    AppendJsonString(j, p.description);
    j += '}';
  }
  j += "],\"outputs\":[";
  for (size_t k = 0; k < spec.outputs.size(); ++k) {
    if (k > 0) j += ',';
    j += "{\"name\":";
    AppendJsonString(j, spec.outputs[k].name);
    j += ",\"description\":";
    AppendJsonString(j, spec.outputs[k].description);
    if (spec.outputs[k].optional) j += ",\"optional\":true";
    j += '}';
  }
  j += "],\"reference\":";
  AppendJsonString(j, spec.reference);
  j += '}';
  return j;
}

void CheckSeries(const IndicatorSpec& spec, const sf_bar_series* in, uint32_t output_count,
                 double* const* outputs) {
  const std::string_view id = spec.id;
  if (in == nullptr) ThrowInvalid(std::string(id) + ": input series is NULL");
  if (in->count < 0) ThrowInvalid(std::string(id) + ": input count must be >= 0, got " + std::to_string(in->count));
  if (output_count != spec.outputs.size()) {
    ThrowInvalid(std::string(id) + ": expected " + std::to_string(spec.outputs.size()) +
                 " output buffer(s), got " + std::to_string(output_count));
  }
  if (in->count == 0) return;
  if (outputs == nullptr) ThrowInvalid(std::string(id) + ": output array is NULL");
  for (uint32_t k = 0; k < output_count; ++k) {
    if (outputs[k] == nullptr && !spec.outputs[k].optional) {
      ThrowInvalid(std::string(id) + ": output buffer '" + spec.outputs[k].name + "' is NULL");
    }
  }
  sf_bar_series s = sf::sdk::CopySized(in);
  struct {
    uint32_t bit;
    const void* ptr;
    const char* name;
  } cols[] = {{SF_INPUT_OPEN, s.open, "open"},       {SF_INPUT_HIGH, s.high, "high"},
              {SF_INPUT_LOW, s.low, "low"},          {SF_INPUT_CLOSE, s.close, "close"},
              {SF_INPUT_VOLUME, s.volume, "volume"}, {SF_INPUT_TIME, s.ts, "ts"}};
  for (const auto& c : cols) {
    if ((spec.inputs & c.bit) != 0 && c.ptr == nullptr) {
      ThrowInvalid(std::string(id) + ": input column '" + c.name + "' is required but NULL");
    }
  }
}

}  // namespace sf::indicators
