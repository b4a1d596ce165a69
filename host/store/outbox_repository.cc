#include "store/outbox_repository.h"

#include "store/signals_repository.h"

namespace sf::store {

namespace {

constexpr const char* kClaim =
    "WITH due AS ("
    " SELECT id FROM deliveries"
    " WHERE status IN ('pending', 'failed') AND next_attempt_at <= now()"
    "  AND (lease_until IS NULL OR lease_until < now())"
    " ORDER BY next_attempt_at, id LIMIT $2"
    " FOR UPDATE SKIP LOCKED)"
    " UPDATE deliveries d SET lease_owner = $1,"
    "  lease_until = now() + $3 * interval '1 millisecond',"
    "  attempts = d.attempts + 1, updated_at = now()"
    " FROM due WHERE d.id = due.id"
    " RETURNING d.id, d.idempotency_key, d.event_type, d.signal_id, d.subscription_id,"
    "  d.channel, d.destination, d.payload, d.status, d.attempts, d.last_error,"
    "  (extract(epoch FROM d.lease_until) * 1000000)::bigint";

Status LeaseLost(int64_t id, const std::string& worker_id) {
  return Conflict("delivery " + std::to_string(id) + " is not leased to worker '" + worker_id +
                  "' any more (lease expired and reclaimed, or already finished)");
}

}  // namespace

StatusOr<int> OutboxRepository::Enqueue(const std::vector<NewDelivery>& rows) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : rows) {
    if (r.idempotency_key.empty()) return InvalidArgument("delivery: idempotency_key is empty");
    if (r.channel.empty()) return InvalidArgument("delivery " + r.idempotency_key + ": channel is empty");
    if (!r.payload.is_object())
      return InvalidArgument("delivery " + r.idempotency_key + ": payload must be a JSON object");
    arr.push_back({{"key", r.idempotency_key},
                   {"event_type", r.event_type},
                   {"signal_id", r.signal_id ? nlohmann::json(*r.signal_id) : nlohmann::json()},
                   {"subscription_id",
                    r.subscription_id ? nlohmann::json(*r.subscription_id) : nlohmann::json()},
                   {"channel", r.channel},
                   {"destination", r.destination},
                   {"payload", r.payload}});
  }
  int inserted = 0;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto r = c.Exec(
        "INSERT INTO deliveries (idempotency_key, event_type, signal_id, subscription_id, channel,"
        " destination, payload)"
        " SELECT e->>'key', e->>'event_type', (e->>'signal_id')::uuid,"
        "  (e->>'subscription_id')::bigint, e->>'channel', e->>'destination', e->'payload'"
        " FROM jsonb_array_elements($1::jsonb) e ON CONFLICT (idempotency_key) DO NOTHING",
        Params().Add(arr.dump()));
    if (!r.ok()) return r.status();
    inserted = static_cast<int>(r->AffectedRows());
    return c.Run("SELECT pg_notify($1, $2)",
                 Params().Add(kOutboxChannel).Add(std::to_string(inserted)));
  });
  if (!s.ok()) return s;
  return inserted;
}

StatusOr<std::vector<Delivery>> OutboxRepository::ClaimDeliveries(const std::string& worker_id,
                                                                  int limit,
                                                                  std::chrono::milliseconds lease) {
  if (worker_id.empty()) return InvalidArgument("ClaimDeliveries: worker_id is empty");
  if (limit < 1) return InvalidArgument("ClaimDeliveries: limit must be >= 1");
  if (lease.count() < 1) return InvalidArgument("ClaimDeliveries: lease must be > 0");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(kClaim, Params().Add(worker_id).Add(limit).Add(int64_t{lease.count()}));
  if (!r.ok()) return r.status();
  std::vector<Delivery> out;
  out.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    Delivery d;
    d.id = r->GetInt64(i, 0);
    d.idempotency_key = r->GetString(i, 1);
    d.event_type = r->GetString(i, 2);
    d.signal_id = r->GetOptionalString(i, 3);
    if (!r->IsNull(i, 4)) d.subscription_id = r->GetInt64(i, 4);
    d.channel = r->GetString(i, 5);
    d.destination = r->GetString(i, 6);
    d.payload = nlohmann::json::parse(r->Get(i, 7), nullptr, false);
    d.status = r->GetString(i, 8);
    d.attempts = static_cast<int>(r->GetInt64(i, 9));
    d.last_error = r->GetOptionalString(i, 10);
    d.lease_until = r->GetInt64(i, 11);
    out.push_back(std::move(d));
  }
  return out;
}

StatusOr<std::vector<int64_t>> OutboxRepository::FinishMany(
    const std::string& worker_id, const std::vector<DeliveryOutcome>& outcomes) {
  std::vector<int64_t> done;
  if (outcomes.empty()) return done;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& o : outcomes) {
    if (o.outcome != "sent" && o.outcome != "failed" && o.outcome != "dead")
      return InvalidArgument("delivery " + std::to_string(o.id) + ": outcome \"" + o.outcome +
                             "\" must be sent, failed or dead");
    const auto& a = o.attempt;
    rows.push_back({{"id", o.id},
                    {"outcome", o.outcome},
                    {"next_us", o.next_attempt_us ? nlohmann::json(*o.next_attempt_us) : nullptr},
                    {"error", a.error.empty() ? nlohmann::json() : nlohmann::json(a.error)},
                    {"http_status", a.http_status ? nlohmann::json(*a.http_status) : nullptr},
                    {"latency_ms", a.latency_ms ? nlohmann::json(*a.latency_ms) : nullptr}});
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "WITH i AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(id bigint, outcome text,"
      "  next_us bigint, error text, http_status integer, latency_ms double precision)),"
      " upd AS ("
      " UPDATE deliveries d SET status = i.outcome,"
      "  sent_at = CASE WHEN i.outcome = 'sent' THEN now() END,"
      "  next_attempt_at = coalesce(to_timestamp(i.next_us / 1000000.0), d.next_attempt_at),"
      "  last_error = i.error, lease_owner = NULL, lease_until = NULL, updated_at = now()"
      " FROM i WHERE d.id = i.id AND d.lease_owner = $1 AND d.status IN ('pending', 'failed')"
      " RETURNING d.id, d.attempts, i.outcome, i.http_status, i.latency_ms, i.error),"
      " ins AS (INSERT INTO delivery_attempts (delivery_id, attempt, worker_id, outcome,"
      "  http_status, latency_ms, error)"
      " SELECT id, attempts, $1, outcome, http_status, latency_ms, error FROM upd)"
      " SELECT id FROM upd",
      Params().Add(worker_id).Add(rows.dump()));
  if (!r.ok()) return r.status();
  done.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) done.push_back(r->GetInt64(i, 0));
  return done;
}

Status OutboxRepository::Finish(int64_t id, const std::string& worker_id, const char* outcome,
                                std::optional<int64_t> next_attempt_us,
                                const DeliveryAttempt& attempt) {
  auto done = FinishMany(worker_id, {DeliveryOutcome{id, outcome, next_attempt_us, attempt}});
  if (!done.ok()) return done.status();
  if (done->empty()) return LeaseLost(id, worker_id);
  return Status::Ok();
}

Status OutboxRepository::Hold(int64_t id, const std::string& worker_id, int64_t until_us,
                              const std::string& why) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE deliveries SET next_attempt_at = $3::timestamptz, attempts = attempts - 1,"
      " last_error = $4, lease_owner = NULL, lease_until = NULL, updated_at = now()"
      " WHERE id = $1 AND lease_owner = $2 AND status IN ('pending', 'failed') AND attempts > 0",
      Params().Add(id).Add(worker_id).AddOptionalTimestamp(until_us).Add(why));
  if (!r.ok()) return r.status();
  if (r->AffectedRows() == 0) return LeaseLost(id, worker_id);
  return Status::Ok();
}

Status OutboxRepository::MarkSent(int64_t id, const std::string& worker_id,
                                  const DeliveryAttempt& attempt) {
  return Finish(id, worker_id, "sent", std::nullopt, attempt);
}

Status OutboxRepository::MarkFailed(int64_t id, const std::string& worker_id,
                                    int64_t next_attempt_us, const DeliveryAttempt& attempt) {
  return Finish(id, worker_id, "failed", next_attempt_us, attempt);
}

Status OutboxRepository::MarkDead(int64_t id, const std::string& worker_id,
                                  const DeliveryAttempt& attempt) {
  return Finish(id, worker_id, "dead", std::nullopt, attempt);
}

StatusOr<std::map<std::string, int64_t>> OutboxRepository::CountByStatus() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("SELECT status, count(*) FROM deliveries GROUP BY status");
  if (!r.ok()) return r.status();
  std::map<std::string, int64_t> out;
  for (int i = 0; i < r->rows(); ++i) out[r->GetString(i, 0)] = r->GetInt64(i, 1);
  return out;
}

StatusOr<std::optional<int64_t>> OutboxRepository::NextDueAt() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT (extract(epoch FROM min(greatest(next_attempt_at, coalesce(lease_until,"
      " next_attempt_at)))) * 1000000)::bigint FROM deliveries WHERE status IN ('pending', 'failed')");
  if (!r.ok()) return r.status();
  if (r->IsNull(0, 0)) return std::optional<int64_t>();
  return std::optional<int64_t>(r->GetInt64(0, 0));
}

}  // namespace sf::store
