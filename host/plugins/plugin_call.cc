#include "plugins/plugin_call.h"

#include <limits>

namespace sf::plugins {
namespace {

std::unique_lock<std::mutex> LockIfSerial(const ComponentInfo& c) {
  if (c.serial) return std::unique_lock<std::mutex>(*c.serial);
  return {};
}

std::string Name(const ComponentInfo& c, const char* fn) {
  return std::string(c.kind == SF_KIND_INDICATOR ? "indicator " : "provider ") + c.id + ": " +
         fn;
}

Status Unsupported(const ComponentInfo& c, const char* fn) {
  return Status(SF_ERR_UNSUPPORTED, Name(c, fn) + " is not provided by this plugin");
}

}  // namespace

Status PluginStatus(sf_status code, std::string_view what) {
  if (code >= 0) {
    ClearPluginError();
    return Status::Ok();
  }
  return Status(code, std::string(what) + ": " + TakePluginError("(no message from the plugin)"));
}

Status IndicatorCall::CheckParams() const {
  if (params_.size() != indicator_.vt.param_count) {
    return InvalidArgument("indicator " + indicator_.id + " takes " +
                           std::to_string(indicator_.vt.param_count) + " parameters, got " +
                           std::to_string(params_.size()));
  }
  return Status::Ok();
}

StatusOr<int64_t> IndicatorCall::Lookback() const {
  SF_RETURN_IF_ERROR(CheckParams());
  int64_t lookback = 0;
  auto lock = LockIfSerial(indicator_);
  ClearPluginError();
  sf_status s = indicator_.vt.lookback(params_.data(), static_cast<uint32_t>(params_.size()),
                                       &lookback);
  SF_RETURN_IF_ERROR(PluginStatus(s, Name(indicator_, "lookback")));
  return lookback;
}

StatusOr<std::vector<std::vector<double>>> IndicatorCall::Compute(
    const sf_bar_series& input) const {
  SF_RETURN_IF_ERROR(CheckParams());
  if (input.count < 0) return InvalidArgument(Name(indicator_, "compute") + ": negative count");
  sf_bar_series in = input;
  in.struct_size = static_cast<uint32_t>(sizeof in);
  const uint32_t n_out = indicator_.vt.output_count;
  std::vector<std::vector<double>> outputs(
      n_out, std::vector<double>(static_cast<size_t>(in.count),
                                 std::numeric_limits<double>::quiet_NaN()));
  std::vector<double*> ptrs(n_out);
  for (uint32_t k = 0; k < n_out; ++k) ptrs[k] = outputs[k].data();
  auto lock = LockIfSerial(indicator_);
  ClearPluginError();
  sf_status s = indicator_.vt.compute(params_.data(), static_cast<uint32_t>(params_.size()), &in,
                                      ptrs.data(), n_out);
  SF_RETURN_IF_ERROR(PluginStatus(s, Name(indicator_, "compute")));
  return outputs;
}

StatusOr<std::unique_ptr<IndicatorStream>> IndicatorStream::Open(const Indicator& indicator,
                                                                 std::vector<double> params) {
  if (!indicator.streaming()) return Unsupported(indicator, "streaming");
  if (params.size() != indicator.vt.param_count) {
    return InvalidArgument("indicator " + indicator.id + " takes " +
                           std::to_string(indicator.vt.param_count) + " parameters, got " +
                           std::to_string(params.size()));
  }
  void* state = nullptr;
  ClearPluginError();
  sf_status s = indicator.vt.stream_create(params.data(), static_cast<uint32_t>(params.size()),
                                           &state);
  SF_RETURN_IF_ERROR(PluginStatus(s, Name(indicator, "stream_create")));
  return std::unique_ptr<IndicatorStream>(new IndicatorStream(indicator, state));
}

IndicatorStream::~IndicatorStream() {
  if (state_ != nullptr) indicator_.vt.stream_destroy(state_);
}

Status IndicatorStream::Update(const sf_bar& bar, std::vector<double>* outputs) {
  sf_bar b = bar;
  b.struct_size = static_cast<uint32_t>(sizeof b);
  outputs->assign(indicator_.vt.output_count, std::numeric_limits<double>::quiet_NaN());
  std::lock_guard<std::mutex> lock(mu_);
  ClearPluginError();
  sf_status s = indicator_.vt.stream_update(state_, &b, outputs->data(),
                                            indicator_.vt.output_count);
  return PluginStatus(s, Name(indicator_, "stream_update"));
}

StatusOr<std::unique_ptr<ProviderInstance>> ProviderInstance::Create(
    const Provider& provider, const std::string& config_json) {
  void* instance = nullptr;
  ClearPluginError();
  sf_status s = provider.vt.create(config_json.c_str(), &instance);
  SF_RETURN_IF_ERROR(PluginStatus(s, Name(provider, "create")));
  return std::unique_ptr<ProviderInstance>(new ProviderInstance(provider, instance));
}

ProviderInstance::~ProviderInstance() {
  if (instance_ != nullptr) provider_.vt.destroy(instance_);
}

std::unique_lock<std::mutex> ProviderInstance::Lock() {
  if (provider_.thread_safe) return {};
  return std::unique_lock<std::mutex>(mu_);
}

Status ProviderInstance::FetchBars(const sf_fetch_request& request, const sf_data_sink& sink) {
  auto lock = Lock();
  ClearPluginError();
  return PluginStatus(provider_.vt.fetch_bars(instance_, &request, &sink),
                      Name(provider_, "fetch_bars"));
}

Status ProviderInstance::FetchNews(const sf_fetch_request& request, const sf_data_sink& sink) {
  if (provider_.vt.fetch_news == nullptr) return Unsupported(provider_, "fetch_news");
  auto lock = Lock();
  ClearPluginError();
  return PluginStatus(provider_.vt.fetch_news(instance_, &request, &sink),
                      Name(provider_, "fetch_news"));
}

Status ProviderInstance::Poll(sf_time_us now_us, const sf_data_sink& sink) {
  if (provider_.vt.poll == nullptr) return Unsupported(provider_, "poll");
  auto lock = Lock();
  ClearPluginError();
  return PluginStatus(provider_.vt.poll(instance_, now_us, &sink), Name(provider_, "poll"));
}

StatusOr<std::string> ProviderInstance::ListInstruments() {
  if (provider_.vt.list_instruments == nullptr) return Unsupported(provider_, "list_instruments");
  auto lock = Lock();
  std::string buf(4096, '\0');
  for (int tries = 0; tries < 4; ++tries) {
    size_t needed = 0;
    ClearPluginError();
    sf_status s = provider_.vt.list_instruments(instance_, buf.data(), buf.size(), &needed);
    if (s == SF_OK) {
      buf.resize(buf.find('\0') == std::string::npos ? buf.size() : buf.find('\0'));
      return buf;
    }
    if (s != SF_INCOMPLETE) {
      return PluginStatus(s, Name(provider_, "list_instruments"));
    }
    if (needed <= buf.size()) {
      return Status(SF_ERR_INTERNAL, Name(provider_, "list_instruments") +
                                         ": SF_INCOMPLETE without a larger needed size");
    }
    buf.assign(needed, '\0');
  }
  return Status(SF_ERR_INTERNAL,
                Name(provider_, "list_instruments") + ": needed size kept growing");
}

}  // namespace sf::plugins
