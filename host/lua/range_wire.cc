#include "lua/range_wire.h"

#include <algorithm>
#include <cstring>

namespace sf::lua {
namespace {

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

void PutStr(std::string* out, std::string_view s) {
  // Most strings (symbols, summaries) are ASCII: copied as they are.
  bool ascii = true;
  for (unsigned char c : s) ascii = ascii && c < 0x80;
  if (ascii) {
    Put(out, static_cast<uint32_t>(s.size()));
    out->append(s);
    return;
  }
  const std::string v = ValidUtf8(s);
  Put(out, static_cast<uint32_t>(v.size()));
  out->append(v);
}

// Bounds-checked reads over the reply.
class Reader {
 public:
  explicit Reader(std::string_view w) : w_(w) {}
  bool done() const { return pos_ == w_.size(); }
  size_t pos() const { return pos_; }
  template <typename T>
  bool Get(T* v) {
    if (w_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, w_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool GetStr(std::string* s) {
    uint32_t n = 0;
    if (!Get(&n) || w_.size() - pos_ < n) return false;
    s->assign(w_.data() + pos_, n);
    pos_ += n;
    return true;
  }

 private:
  std::string_view w_;
  size_t pos_ = 0;
};

}  // namespace

void BatchOutput::clear() {
  intents.clear();
  rejected.clear();
  errors.clear();
  logs.clear();
}

std::string ValidUtf8(std::string_view s) {
  static const char kReplacement[] = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;  // no UTF-16 surrogates
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;  // nothing past U+10FFFF
    // Bytes of a well-formed prefix; a broken sequence (its maximal
    // well-formed prefix, at least one byte) becomes one U+FFFD, as the
    // JSON encoder does.
    size_t good = len > 0 ? 1 : 0;
    while (good > 0 && good < len && i + good < n) {
      const unsigned char b = p[i + good];
      if (good == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
      ++good;
    }
    if (len > 0 && good == len) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out.append(kReplacement);
      i += std::max<size_t>(good, 1);
    }
  }
  return out;
}

void AppendRangeBar(int64_t ts, const BatchOutput& b, std::string* out) {
  Put(out, ts);
  Put(out, static_cast<uint32_t>(b.intents.size()));
  Put(out, static_cast<uint32_t>(b.rejected.size()));
  Put(out, static_cast<uint32_t>(b.errors.size()));
  Put(out, static_cast<uint32_t>(b.logs.size()));
  for (const WireIntent& in : b.intents) {
    PutStr(out, in.symbol);
    Put(out, static_cast<uint8_t>(in.buy ? 0 : 1));
    Put(out, in.confidence);
    Put(out, in.entry);
    Put(out, in.target);
    Put(out, in.stop);
    Put(out, static_cast<int32_t>(in.expiry_bars));
    PutStr(out, in.summary);
    PutStr(out, in.features.is_object() && !in.features.empty()
                    ? in.features.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                    : std::string());
  }
  for (const auto& [sym, msg] : b.rejected) {
    PutStr(out, sym);
    PutStr(out, msg);
  }
  for (const auto& [sym, msg] : b.errors) {
    PutStr(out, sym);
    PutStr(out, msg);
  }
  for (const auto& l : b.logs) PutStr(out, l);
}

Status ReadRangeBars(std::string_view wire,
                     const std::function<void(int64_t ts, BatchOutput& batch)>& bar) {
  Reader r(wire);
  BatchOutput b;
  std::string features;
  auto bad = [&](const char* what) {
    return BadData("range reply: " + std::string(what) + " at byte " + std::to_string(r.pos()) +
                   " of " + std::to_string(wire.size()));
  };
  while (!r.done()) {
    int64_t ts = 0;
    uint32_t ni = 0, nr = 0, ne = 0, nl = 0;
    if (!r.Get(&ts) || !r.Get(&ni) || !r.Get(&nr) || !r.Get(&ne) || !r.Get(&nl))
      return bad("truncated bar header");
    // Each record takes at least 4 bytes: counts past the buffer are lies.
    if (uint64_t{ni} + nr + ne + nl > wire.size()) return bad("record counts past the end");
    b.clear();
    b.intents.resize(ni);
    for (WireIntent& in : b.intents) {
      uint8_t side = 0;
      int32_t expiry = 0;
      if (!r.GetStr(&in.symbol) || !r.Get(&side) || !r.Get(&in.confidence) || !r.Get(&in.entry) ||
          !r.Get(&in.target) || !r.Get(&in.stop) || !r.Get(&expiry) || !r.GetStr(&in.summary) ||
          !r.GetStr(&features))
        return bad("truncated intent");
      if (side > 1) return bad("unknown side");
      in.buy = side == 0;
      in.expiry_bars = expiry;
      if (features.empty()) {
        in.features = nullptr;
      } else {
        in.features = nlohmann::json::parse(features, nullptr, false);
        if (!in.features.is_object()) return bad("intent features that are not a JSON object");
      }
    }
    for (auto* list : {&b.rejected, &b.errors}) {
      list->resize(list == &b.rejected ? nr : ne);
      for (auto& [sym, msg] : *list)
        if (!r.GetStr(&sym) || !r.GetStr(&msg)) return bad("truncated message");
    }
    b.logs.resize(nl);
    for (auto& l : b.logs)
      if (!r.GetStr(&l)) return bad("truncated log line");
    bar(ts, b);
  }
  return Status::Ok();
}

}  // namespace sf::lua
