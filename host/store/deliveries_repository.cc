#include "store/deliveries_repository.h"

#include <cctype>
#include <regex>

#include <nlohmann/json.hpp>

namespace sf::store {
namespace {

// Keep in step with DestinationKey().
#define SF_DESTINATION_KEY                                                          \
  "lower(channel || '|' || coalesce(substring(destination from "                   \
  "'^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'), destination))"

constexpr const char* kClaimedColumns =
    " SELECT u.id, u.idempotency_key, u.event_type, u.signal_id::text, u.subscription_id,"
    "  u.channel, u.destination, u.payload::text, u.status, u.attempts, u.last_error,"
    "  (extract(epoch FROM u.lease_until) * 1000000)::bigint,"
    "  s.secret, coalesce(s.active, u.subscription_id IS NULL), s.disabled_reason,"
    "  (extract(epoch FROM u.created_at) * 1000000)::bigint,"
    "  s.quiet_hours_start, s.quiet_hours_end, o.timezone"
    " FROM upd u LEFT JOIN alert_subscriptions s ON s.id = u.subscription_id"
    " LEFT JOIN users o ON o.id = s.user_id ORDER BY u.id";

constexpr const char* kLeaseSet =
    " UPDATE deliveries d SET lease_owner = $1,"
    "  lease_until = now() + $3 * interval '1 millisecond',"
    "  attempts = d.attempts + 1, updated_at = now()";

std::vector<ClaimedDelivery> FromRows(const Result& r) {
  std::vector<ClaimedDelivery> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    ClaimedDelivery c;
    Delivery& d = c.delivery;
    d.id = r.GetInt64(i, 0);
    d.idempotency_key = r.GetString(i, 1);
    d.event_type = r.GetString(i, 2);
    d.signal_id = r.GetOptionalString(i, 3);
    if (!r.IsNull(i, 4)) d.subscription_id = r.GetInt64(i, 4);
    d.channel = r.GetString(i, 5);
    d.destination = r.GetString(i, 6);
    d.payload = nlohmann::json::parse(r.Get(i, 7), nullptr, false);
    if (!d.payload.is_object()) d.payload = nlohmann::json::object();
    d.status = r.GetString(i, 8);
    d.attempts = static_cast<int>(r.GetInt64(i, 9));
    d.last_error = r.GetOptionalString(i, 10);
    d.lease_until = r.GetInt64(i, 11);
    c.secret = r.GetOptionalString(i, 12);
    c.subscription_active = r.GetBool(i, 13);
    c.disabled_reason = r.GetOptionalString(i, 14);
    c.created_at = r.GetInt64(i, 15);
    c.quiet_hours_start = r.GetOptionalString(i, 16);
    c.quiet_hours_end = r.GetOptionalString(i, 17);
    c.timezone = r.GetOptionalString(i, 18).value_or("UTC");
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::string DestinationKey(const std::string& channel, const std::string& destination) {
  static const std::regex kAuthority(R"(^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)");
  std::smatch m;
  std::string key = channel + "|";
  key += std::regex_search(destination, m, kAuthority) ? m.str(0) : destination;
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

StatusOr<std::vector<ClaimedDelivery>> DeliveriesRepository::Claim(
    const std::string& worker_id, int limit, std::chrono::milliseconds lease,
    const std::vector<std::string>& busy) {
  if (worker_id.empty()) return InvalidArgument("Claim: worker_id is empty");
  if (limit < 1) return InvalidArgument("Claim: limit must be >= 1");
  if (lease.count() < 1) return InvalidArgument("Claim: lease must be > 0 ms");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  nlohmann::json busy_json = busy;
  // The destination key is computed per row only when some are busy.
  const std::string busy_clause =
      busy.empty() ? std::string(" AND $4::jsonb IS NOT NULL")
                   : std::string("  AND NOT (" SF_DESTINATION_KEY
                                 " IN (SELECT jsonb_array_elements_text($4::jsonb)))");
  auto r = (*conn)->Exec(
      std::string("WITH due AS ("
                  " SELECT id FROM deliveries"
                  " WHERE status IN ('pending', 'failed') AND next_attempt_at <= now()"
                  "  AND (lease_until IS NULL OR lease_until < now())") +
          busy_clause +
          " ORDER BY next_attempt_at, id LIMIT $2"
          " FOR UPDATE SKIP LOCKED),"
          " upd AS (" +
          kLeaseSet + " FROM due WHERE d.id = due.id RETURNING d.*)" + kClaimedColumns,
      Params().Add(worker_id).Add(limit).Add(int64_t{lease.count()}).Add(busy_json.dump()));
  if (!r.ok()) return r.status();
  return FromRows(*r);
}

StatusOr<ClaimedDelivery> DeliveriesRepository::ClaimOne(int64_t id, const std::string& worker_id,
                                                         std::chrono::milliseconds lease) {
  if (worker_id.empty()) return InvalidArgument("ClaimOne: worker_id is empty");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      std::string("WITH due AS ("
                  " SELECT id FROM deliveries WHERE id = $2 AND status IN ('pending', 'failed')"
                  "  AND (lease_until IS NULL OR lease_until < now())"
                  " FOR UPDATE SKIP LOCKED),"
                  " upd AS (") +
          kLeaseSet + " FROM due WHERE d.id = due.id RETURNING d.*)" + kClaimedColumns,
      Params().Add(worker_id).Add(id).Add(int64_t{lease.count()}));
  if (!r.ok()) return r.status();
  auto rows = FromRows(*r);
  if (rows.empty())
    return Conflict("delivery " + std::to_string(id) +
                    " is not claimable (finished, or leased by another worker)");
  return std::move(rows.front());
}

StatusOr<int64_t> DeliveriesRepository::InsertHeld(const NewDelivery& row,
                                                   std::chrono::milliseconds hold) {
  if (row.idempotency_key.empty()) return InvalidArgument("delivery: idempotency_key is empty");
  if (row.channel.empty()) return InvalidArgument("delivery: channel is empty");
  if (!row.payload.is_object()) return InvalidArgument("delivery: payload must be a JSON object");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "INSERT INTO deliveries (idempotency_key, event_type, signal_id, subscription_id, channel,"
      " destination, payload, next_attempt_at)"
      " VALUES ($1, $2, $3::uuid, $4, $5, $6, $7::jsonb, now() + $8 * interval '1 millisecond')"
      " RETURNING id",
      Params().Add(row.idempotency_key).Add(row.event_type).Add(row.signal_id)
          .Add(row.subscription_id).Add(row.channel).Add(row.destination).Add(row.payload.dump())
          .Add(int64_t{hold.count()}));
  if (!r.ok()) return r.status();
  return r->GetInt64(0, 0);
}

StatusOr<int64_t> DeliveriesRepository::CountUnfinished() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("SELECT count(*) FROM deliveries WHERE status IN ('pending', 'failed')");
  if (!r.ok()) return r.status();
  return r->GetInt64(0, 0);
}

}  // namespace sf::store
