#include "lua/indicator_source.h"

#include <nlohmann/json.hpp>

#include "plugins/registry.h"

namespace sf::lua {

Status IndicatorSource::Add(const sf_indicator_vtable* vt) {
  if (vt == nullptr || vt->id == nullptr || vt->compute == nullptr)
    return InvalidArgument("indicator vtable without id or compute");
  auto info = std::make_unique<IndicatorInfo>();
  info->id = vt->id;
  info->vt = vt;
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(vt->metadata_json ? vt->metadata_json : "{}");
  } catch (const std::exception& e) {
    return BadData("indicator '" + info->id + "': metadata_json is not JSON: " + e.what());
  }
  try {
    for (const auto& p : meta.value("params", nlohmann::json::array())) {
      IndicatorParam ip;
      ip.name = p.at("name").get<std::string>();
      ip.type = p.value("type", "double");
      if (ip.type == "enum") {
        for (const auto& v : p.value("values", nlohmann::json::array()))
          ip.values.push_back(v.get<std::string>());
        ip.min = 0;
        ip.max = ip.values.empty() ? 0 : static_cast<double>(ip.values.size() - 1);
        const auto& d = p.value("default", nlohmann::json());
        if (d.is_string()) {
          for (size_t i = 0; i < ip.values.size(); ++i)
            if (ip.values[i] == d.get<std::string>()) ip.default_value = static_cast<double>(i);
        } else if (d.is_number()) {
          ip.default_value = d.get<double>();
        }
      } else {
        ip.default_value = p.value("default", 0.0);
        if (p.contains("min") && p["min"].is_number()) ip.min = p["min"].get<double>();
        if (p.contains("max") && p["max"].is_number()) ip.max = p["max"].get<double>();
      }
      info->params.push_back(std::move(ip));
    }
    for (const auto& o : meta.value("outputs", nlohmann::json::array()))
      info->outputs.push_back(o.is_string() ? o.get<std::string>() : o.at("name").get<std::string>());
  } catch (const std::exception& e) {
    return BadData("indicator '" + info->id + "': metadata_json does not follow the SDK shape: " +
                   e.what());
  }
  if (info->outputs.empty()) {
    for (uint32_t k = 0; k < std::max<uint32_t>(1, vt->output_count); ++k)
      info->outputs.push_back(k == 0 ? "value" : "output" + std::to_string(k + 1));
  }
  if (vt->output_count != 0 && info->outputs.size() != vt->output_count)
    return BadData("indicator '" + info->id + "': metadata lists " +
                   std::to_string(info->outputs.size()) + " outputs, output_count is " +
                   std::to_string(vt->output_count));
  if (vt->param_count != info->params.size())
    return BadData("indicator '" + info->id + "': metadata lists " +
                   std::to_string(info->params.size()) + " params, param_count is " +
                   std::to_string(vt->param_count));
  if (by_id_.count(info->id)) return Conflict("indicator '" + info->id + "' added twice");
  std::string id = info->id;
  by_id_.emplace(std::move(id), std::move(info));
  return Status::Ok();
}

Status IndicatorSource::AddRegistry(const plugins::Registry& registry) {
  for (const plugins::Indicator* ind : registry.indicators()) SF_RETURN_IF_ERROR(Add(&ind->vt));
  return Status::Ok();
}

const IndicatorInfo* IndicatorSource::Find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

std::vector<std::string> IndicatorSource::Ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, info] : by_id_) ids.push_back(id);
  return ids;
}

Status IndicatorSource::Compute(const IndicatorInfo& info, const std::vector<double>& params,
                                const sf_bar_series& input, double* const* outputs) const {
  plugins::ClearPluginError();
  sf_status s = info.vt->compute(params.data(), static_cast<uint32_t>(params.size()), &input,
                                 outputs, static_cast<uint32_t>(info.outputs.size()));
  if (s < 0)
    return Status(s, plugins::TakePluginError("indicator '" + info.id + "': compute failed (" +
                                              sf_status_name(s) + ")"));
  return Status::Ok();
}

}  // namespace sf::lua
