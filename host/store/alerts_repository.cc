#include "store/alerts_repository.h"

#include <cstdio>
#include <fstream>
#include <set>

namespace sf::store {
namespace {

#define SF_ALERT_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr const char* kSubColumns =
    "a.id, a.user_id, a.kind, a.channel, a.destination, a.secret, a.filters::text, a.active,"
    " a.disabled_reason, to_char(a.quiet_hours_start, 'HH24:MI'),"
    " to_char(a.quiet_hours_end, 'HH24:MI'), " SF_ALERT_US("a.created_at") ", " SF_ALERT_US(
        "a.updated_at");

constexpr const char* kDeliveryColumns =
    "d.id, d.idempotency_key, d.event_type, d.signal_id::text, d.subscription_id, d.channel,"
    " d.destination, d.status, d.attempts, " SF_ALERT_US("d.next_attempt_at") ", d.last_error, " SF_ALERT_US(
        "d.created_at") ", " SF_ALERT_US("d.sent_at");

AlertSubscription SubFromRow(const Result& r, int i) {
  AlertSubscription s;
  s.id = r.GetInt64(i, 0);
  s.user_id = r.GetInt64(i, 1);
  s.kind = r.GetString(i, 2);
  s.channel = r.GetString(i, 3);
  s.destination = r.GetString(i, 4);
  s.secret = r.GetOptionalString(i, 5);
  s.filters = nlohmann::json::parse(r.Get(i, 6), nullptr, false);
  if (!s.filters.is_object()) s.filters = nlohmann::json::object();
  s.active = r.GetBool(i, 7);
  s.disabled_reason = r.GetOptionalString(i, 8);
  s.quiet_hours_start = r.GetOptionalString(i, 9);
  s.quiet_hours_end = r.GetOptionalString(i, 10);
  s.created_at = r.GetInt64(i, 11);
  s.updated_at = r.GetInt64(i, 12);
  return s;
}

DeliveryRecord DeliveryFromRow(const Result& r, int i) {
  DeliveryRecord d;
  d.id = r.GetInt64(i, 0);
  d.idempotency_key = r.GetString(i, 1);
  d.event_type = r.GetString(i, 2);
  d.signal_id = r.GetOptionalString(i, 3);
  if (!r.IsNull(i, 4)) d.subscription_id = r.GetInt64(i, 4);
  d.channel = r.GetString(i, 5);
  d.destination = r.GetString(i, 6);
  d.status = r.GetString(i, 7);
  d.attempts = static_cast<int>(r.GetInt64(i, 8));
  d.next_attempt_at = r.GetInt64(i, 9);
  d.last_error = r.GetOptionalString(i, 10);
  d.created_at = r.GetInt64(i, 11);
  if (!r.IsNull(i, 12)) d.sent_at = r.GetInt64(i, 12);
  return d;
}

bool IsKind(const std::string& k) {
  for (const char* known : kAlertKinds)
    if (k == known) return true;
  return false;
}

bool ValidChannel(const std::string& c) {
  if (c.empty() || c.size() > 64) return false;
  for (char ch : c) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
          ch == '-'))
      return false;
  }
  return true;
}

bool ValidHhMm(const std::string& t) {
  int h = 0, m = 0;
  char tail = 0;
  if (t.size() != 5 || t[2] != ':') return false;
  if (std::sscanf(t.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2) return false;
  return h >= 0 && h <= 23 && m >= 0 && m <= 59;
}

Status CheckQuietHours(const std::optional<std::string>& start,
                       const std::optional<std::string>& end) {
  if (start.has_value() != end.has_value())
    return InvalidArgument(
        "quiet_hours_start and quiet_hours_end must be given together (or neither)");
  if (start && !ValidHhMm(*start))
    return InvalidArgument("quiet_hours_start \"" + *start + "\" must be HH:MM (00:00..23:59)");
  if (end && !ValidHhMm(*end))
    return InvalidArgument("quiet_hours_end \"" + *end + "\" must be HH:MM (00:00..23:59)");
  return Status::Ok();
}

Status CheckDestination(const std::string& d) {
  if (d.empty() || d.size() > 2048)
    return InvalidArgument("destination must be 1..2048 bytes, got " + std::to_string(d.size()));
  return Status::Ok();
}

Status CheckSecret(const std::string& s) {
  if (s.size() < 24)
    return InvalidArgument("secret must have at least 24 bytes (got " + std::to_string(s.size()) +
                           "); leave it out to get a generated one");
  if (s.size() > 256) return InvalidArgument("secret must have at most 256 bytes");
  return Status::Ok();
}

StatusOr<std::string> GenerateSecret() {
  unsigned char raw[32];
  std::ifstream in("/dev/urandom", std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(raw), sizeof raw))
    return Internal("cannot read /dev/urandom to generate a webhook secret");
  static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "whsec_";
  for (size_t i = 0; i < sizeof raw; i += 3) {
    uint32_t v = uint32_t{raw[i]} << 16;
    if (i + 1 < sizeof raw) v |= uint32_t{raw[i + 1]} << 8;
    if (i + 2 < sizeof raw) v |= raw[i + 2];
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < sizeof raw ? kB64[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < sizeof raw ? kB64[v & 63] : '=');
  }
  return out;
}

Status CheckStringList(const std::string& key, const nlohmann::json& v,
                       const std::set<std::string>& allowed = {}) {
  if (!v.is_array() || v.empty() || v.size() > 1000)
    return InvalidArgument("filters." + key + " must be a non-empty array of strings (at most 1000)");
  for (const auto& e : v) {
    if (!e.is_string() || e.get<std::string>().empty() || e.get<std::string>().size() > 128)
      return InvalidArgument("filters." + key + " must hold strings of 1..128 bytes");
    if (!allowed.empty() && !allowed.count(e.get<std::string>()))
      return InvalidArgument("filters." + key + ": \"" + e.get<std::string>() +
                             "\" is not allowed here");
  }
  return Status::Ok();
}

Status CheckNumber(const std::string& key, const nlohmann::json& v, double lo, double hi) {
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi)
    return InvalidArgument("filters." + key + " must be a number in " + std::to_string(lo) +
                           ".." + std::to_string(hi));
  return Status::Ok();
}

Status CheckSymbol(const nlohmann::json& f) {
  auto it = f.find("symbol");
  if (it == f.end() || !it->is_string() || it->get<std::string>().empty())
    return InvalidArgument("filters.symbol (the instrument to watch) is required for this kind");
  return Status::Ok();
}

}  // namespace

Status ValidateAlertFilters(const std::string& kind, const nlohmann::json& f) {
  if (!f.is_object()) return InvalidArgument("filters must be a JSON object");
  for (const auto& [key, value] : f.items()) {
    if (kind == "new_signal" || kind == "signal_update") {
      if (key == "strategies" || key == "symbols" || key == "sectors") {
        SF_RETURN_IF_ERROR(CheckStringList(key, value));
      } else if (key == "sides") {
        SF_RETURN_IF_ERROR(CheckStringList(key, value, {"buy", "sell"}));
      } else if (key == "min_confidence") {
        SF_RETURN_IF_ERROR(CheckNumber(key, value, 0, 1));
      } else {
        return InvalidArgument("filters." + key + " is not a filter of " + kind +
                               " (known: strategies, symbols, sectors, sides, min_confidence)");
      }
    } else if (key == "timeframe" &&
               (kind == "price_cross" || kind == "volume_spike" || kind == "indicator_threshold")) {
      static const std::set<std::string> kTimeframes = {"1m", "5m", "15m", "1h", "4h", "1d"};
      if (!value.is_string() || !kTimeframes.count(value.get<std::string>()))
        return InvalidArgument("filters.timeframe must be one of 1m, 5m, 15m, 1h, 4h, 1d");
    } else if (kind == "price_cross") {
      if (key == "symbol") continue;
      if (key == "level") {
        SF_RETURN_IF_ERROR(CheckNumber(key, value, 1e-9, 1e12));
      } else if (key == "direction") {
        if (!value.is_string() || (value != "above" && value != "below"))
          return InvalidArgument("filters.direction must be \"above\" or \"below\"");
      } else {
        return InvalidArgument("filters." + key +
                               " is not a filter of price_cross (known: symbol, level, direction, "
                               "timeframe)");
      }
    } else if (kind == "volume_spike") {
      if (key == "symbol") continue;
      if (key == "multiple") {
        SF_RETURN_IF_ERROR(CheckNumber(key, value, 1.0001, 1000));
      } else if (key == "lookback") {
        if (!value.is_number_integer() || value.get<int64_t>() < 2 || value.get<int64_t>() > 500)
          return InvalidArgument("filters.lookback must be a whole number of bars in 2..500");
      } else {
        return InvalidArgument("filters." + key +
                               " is not a filter of volume_spike (known: symbol, multiple, "
                               "lookback, timeframe)");
      }
    } else if (kind == "indicator_threshold") {
      if (key == "symbol") continue;
      if (key == "indicator") {
        if (!value.is_string() || value.get<std::string>().empty())
          return InvalidArgument("filters.indicator must be an indicator id such as \"rsi\"");
      } else if (key == "params") {
        if (!value.is_array() || value.size() > 8)
          return InvalidArgument("filters.params must be an array of at most 8 numbers");
        for (const auto& p : value)
          if (!p.is_number()) return InvalidArgument("filters.params must hold numbers");
      } else if (key == "op") {
        if (!value.is_string() || (value != "<" && value != ">"))
          return InvalidArgument("filters.op must be \"<\" or \">\"");
      } else if (key == "value") {
        SF_RETURN_IF_ERROR(CheckNumber(key, value, -1e12, 1e12));
      } else {
        return InvalidArgument("filters." + key +
                               " is not a filter of indicator_threshold (known: symbol, indicator, "
                               "params, op, value, timeframe)");
      }
    } else if (kind == "news") {
      if (key == "symbols") {
        SF_RETURN_IF_ERROR(CheckStringList(key, value));
      } else if (key == "min_score") {
        SF_RETURN_IF_ERROR(CheckNumber(key, value, -1e12, 1e12));
      } else if (key == "min_abs_sentiment") {
        SF_RETURN_IF_ERROR(CheckNumber(key, value, 0, 1));
      } else if (key == "sentiment") {
        if (!value.is_string() || (value != "positive" && value != "negative"))
          return InvalidArgument("filters.sentiment must be \"positive\" or \"negative\"");
      } else {
        return InvalidArgument("filters." + key +
                               " is not a filter of news (known: symbols, min_score, sentiment, "
                               "min_abs_sentiment)");
      }
    }
  }
  if (kind == "price_cross") {
    SF_RETURN_IF_ERROR(CheckSymbol(f));
    if (!f.contains("level") || !f.contains("direction"))
      return InvalidArgument("price_cross needs filters.level and filters.direction");
  } else if (kind == "volume_spike") {
    SF_RETURN_IF_ERROR(CheckSymbol(f));
  } else if (kind == "indicator_threshold") {
    SF_RETURN_IF_ERROR(CheckSymbol(f));
    for (const char* k : {"indicator", "op", "value"})
      if (!f.contains(k))
        return InvalidArgument(std::string("indicator_threshold needs filters.") + k);
  }
  return Status::Ok();
}

StatusOr<AlertSubscription> AlertsRepository::Create(int64_t user_id,
                                                     const NewAlertSubscription& sub) {
  if (!IsKind(sub.kind))
    return InvalidArgument("kind \"" + sub.kind +
                           "\" is not one of new_signal, signal_update, price_cross, "
                           "volume_spike, indicator_threshold, news");
  if (!ValidChannel(sub.channel))
    return InvalidArgument("channel \"" + sub.channel + "\" must match ^[a-z0-9_.-]{1,64}$");
  SF_RETURN_IF_ERROR(CheckDestination(sub.destination));
  SF_RETURN_IF_ERROR(ValidateAlertFilters(sub.kind, sub.filters));
  SF_RETURN_IF_ERROR(CheckQuietHours(sub.quiet_hours_start, sub.quiet_hours_end));
  std::optional<std::string> secret = sub.secret;
  if (secret) SF_RETURN_IF_ERROR(CheckSecret(*secret));
  if (!secret && sub.channel == "webhook") {
    auto s = GenerateSecret();
    if (!s.ok()) return s.status();
    secret = *s;
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  Params p;
  p.Add(user_id).Add(sub.kind).Add(sub.channel).Add(sub.destination).Add(secret);
  p.Add(sub.filters.dump()).Add(sub.quiet_hours_start).Add(sub.quiet_hours_end);
  auto r = (*conn)->Exec(
      std::string("WITH a AS (INSERT INTO alert_subscriptions (user_id, kind, channel, destination,"
                  " secret, filters, quiet_hours_start, quiet_hours_end)"
                  " SELECT $1, $2, $3, $4, $5, $6::jsonb, $7::time, $8::time"
                  " WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) RETURNING *) SELECT ") +
          kSubColumns + " FROM a",
      p);
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("unknown user " + std::to_string(user_id));
  return SubFromRow(*r, 0);
}

StatusOr<AlertSubscription> AlertsRepository::Get(int64_t user_id, int64_t subscription_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kSubColumns +
                             " FROM alert_subscriptions a WHERE a.id = $1 AND a.user_id = $2",
                         Params().Add(subscription_id).Add(user_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0)
    return NotFound("alert subscription " + std::to_string(subscription_id) + " not found");
  return SubFromRow(*r, 0);
}

StatusOr<std::vector<AlertSubscription>> AlertsRepository::List(int64_t user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kSubColumns +
                             " FROM alert_subscriptions a WHERE a.user_id = $1 ORDER BY a.id",
                         Params().Add(user_id));
  if (!r.ok()) return r.status();
  std::vector<AlertSubscription> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(SubFromRow(*r, i));
  return out;
}

StatusOr<AlertSubscription> AlertsRepository::Update(int64_t user_id, int64_t subscription_id,
                                                     const AlertSubscriptionPatch& patch) {
  auto current = Get(user_id, subscription_id);
  if (!current.ok()) return current.status();
  if (patch.destination) SF_RETURN_IF_ERROR(CheckDestination(*patch.destination));
  if (patch.secret) SF_RETURN_IF_ERROR(CheckSecret(*patch.secret));
  if (patch.filters) SF_RETURN_IF_ERROR(ValidateAlertFilters(current->kind, *patch.filters));
  std::optional<std::string> qs = current->quiet_hours_start, qe = current->quiet_hours_end;
  if (patch.clear_quiet_hours) qs = qe = std::nullopt;
  if (patch.quiet_hours_start) qs = patch.quiet_hours_start;
  if (patch.quiet_hours_end) qe = patch.quiet_hours_end;
  SF_RETURN_IF_ERROR(CheckQuietHours(qs, qe));
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  Params p;
  p.Add(subscription_id).Add(user_id).Add(patch.destination).Add(patch.secret);
  p.Add(patch.filters ? std::optional<std::string>(patch.filters->dump()) : std::nullopt);
  p.Add(patch.active).Add(qs).Add(qe);
  auto r = (*conn)->Exec(
      std::string("WITH a AS (UPDATE alert_subscriptions SET"
                  " destination = coalesce($3, destination), secret = coalesce($4, secret),"
                  " filters = coalesce($5::jsonb, filters), active = coalesce($6, active),"
                  " disabled_reason = CASE WHEN $6 THEN NULL ELSE disabled_reason END,"
                  " quiet_hours_start = $7::time, quiet_hours_end = $8::time, updated_at = now()"
                  " WHERE id = $1 AND user_id = $2 RETURNING *) SELECT ") +
          kSubColumns + " FROM a",
      p);
  if (!r.ok()) return r.status();
  if (r->rows() == 0)
    return NotFound("alert subscription " + std::to_string(subscription_id) + " not found");
  return SubFromRow(*r, 0);
}

Status AlertsRepository::Delete(int64_t user_id, int64_t subscription_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM alert_subscriptions WHERE id = $1 AND user_id = $2",
                         Params().Add(subscription_id).Add(user_id));
  if (!r.ok()) return r.status();
  if (r->AffectedRows() == 0)
    return NotFound("alert subscription " + std::to_string(subscription_id) + " not found");
  return Status::Ok();
}

namespace {

constexpr const char* kMatchFrom =
    " FROM alert_subscriptions a JOIN users u ON u.id = a.user_id";

StatusOr<std::vector<AlertMatch>> Matches(Pool* pool, const std::string& where,
                                          const Params& params) {
  auto conn = pool->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kSubColumns + ", u.tier, u.timezone" +
                             kMatchFrom + " WHERE " + where + " ORDER BY a.id",
                         params);
  if (!r.ok()) return r.status();
  std::vector<AlertMatch> out;
  out.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    AlertMatch m;
    m.subscription = SubFromRow(*r, i);
    m.tier = r->GetString(i, 13);
    m.timezone = r->GetString(i, 14);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

StatusOr<std::vector<AlertMatch>> AlertsRepository::ActiveForKind(const std::string& kind) {
  return Matches(pool_, "a.kind = $1 AND a.active AND u.status = 'active'", Params().Add(kind));
}

StatusOr<AlertMatch> AlertsRepository::FindMatch(int64_t subscription_id) {
  auto m = Matches(pool_, "a.id = $1", Params().Add(subscription_id));
  if (!m.ok()) return m.status();
  if (m->empty())
    return NotFound("alert subscription " + std::to_string(subscription_id) + " not found");
  return std::move(m->front());
}

Status AlertsRepository::Disable(int64_t subscription_id, const std::string& reason) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE alert_subscriptions SET active = false, disabled_reason = $2, updated_at = now()"
      " WHERE id = $1",
      Params().Add(subscription_id).Add(reason));
  if (!r.ok()) return r.status();
  if (r->AffectedRows() == 0)
    return NotFound("alert subscription " + std::to_string(subscription_id) + " not found");
  return Status::Ok();
}

StatusOr<std::vector<DeliveryRecord>> AlertsRepository::ListDeliveries(int64_t user_id,
                                                                       const DeliveryQuery& q) {
  if (q.limit < 1 || q.limit > 500) return InvalidArgument("limit must be in 1..500");
  if (q.status && *q.status != "pending" && *q.status != "sent" && *q.status != "failed" &&
      *q.status != "dead")
    return InvalidArgument("status \"" + *q.status + "\" must be pending, sent, failed or dead");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  Params p;
  p.Add(user_id).Add(q.subscription_id).Add(q.status).Add(q.before_id).Add(q.limit);
  auto r = (*conn)->Exec(
      std::string("SELECT ") + kDeliveryColumns +
          " FROM deliveries d JOIN alert_subscriptions a ON a.id = d.subscription_id"
          " WHERE a.user_id = $1 AND ($2::bigint IS NULL OR d.subscription_id = $2)"
          " AND ($3::text IS NULL OR d.status = $3) AND ($4::bigint IS NULL OR d.id < $4)"
          " ORDER BY d.id DESC LIMIT $5",
      p);
  if (!r.ok()) return r.status();
  std::vector<DeliveryRecord> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(DeliveryFromRow(*r, i));
  return out;
}

StatusOr<DeliveryRecord> AlertsRepository::GetDelivery(int64_t user_id, int64_t delivery_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      std::string("SELECT ") + kDeliveryColumns +
          " FROM deliveries d JOIN alert_subscriptions a ON a.id = d.subscription_id"
          " WHERE d.id = $1 AND a.user_id = $2",
      Params().Add(delivery_id).Add(user_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("delivery " + std::to_string(delivery_id) + " not found");
  return DeliveryFromRow(*r, 0);
}

StatusOr<std::vector<DeliveryAttemptRecord>> AlertsRepository::ListAttempts(int64_t user_id,
                                                                            int64_t delivery_id) {
  auto owned = GetDelivery(user_id, delivery_id);
  if (!owned.ok()) return owned.status();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT attempt, worker_id, outcome, http_status, latency_ms, error, " SF_ALERT_US(
          "attempted_at") " FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt, id",
      Params().Add(delivery_id));
  if (!r.ok()) return r.status();
  std::vector<DeliveryAttemptRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    DeliveryAttemptRecord a;
    a.attempt = static_cast<int>(r->GetInt64(i, 0));
    a.worker_id = r->GetString(i, 1);
    a.outcome = r->GetString(i, 2);
    if (!r->IsNull(i, 3)) a.http_status = static_cast<int>(r->GetInt64(i, 3));
    a.latency_ms = r->GetOptionalDouble(i, 4);
    a.error = r->GetOptionalString(i, 5);
    a.attempted_at = r->GetInt64(i, 6);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace sf::store
