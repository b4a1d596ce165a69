#include "store/feedback_repository.h"

#include "store/signal_queries_repository.h"

namespace sf::store {

namespace {

constexpr const char* kColumns =
    "signal_id, action, rating, comment, (extract(epoch FROM created_at) * 1000000)::bigint";

SignalFeedback FromRow(const Result& r) {
  SignalFeedback f;
  f.signal_id = r.GetString(0, 0);
  f.action = r.GetOptionalString(0, 1);
  if (!r.IsNull(0, 2)) f.rating = static_cast<int>(r.GetInt64(0, 2));
  f.comment = r.GetOptionalString(0, 3);
  f.created_at = r.GetInt64(0, 4);
  return f;
}

}  // namespace

StatusOr<SignalFeedback> FeedbackRepository::Upsert(int64_t user_id, const SignalFeedback& f) {
  if (!IsUuidText(f.signal_id)) return NotFound("signal " + f.signal_id + " not found");
  if (f.action && *f.action != "ignored" && *f.action != "bookmarked" && *f.action != "executed" &&
      *f.action != "shared") {
    return InvalidArgument("action '" + *f.action + "' must be ignored, bookmarked, executed or shared");
  }
  if (f.rating && (*f.rating < 1 || *f.rating > 5)) return InvalidArgument("rating must be within 1..5");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  Params p;
  p.Add(f.signal_id).Add(user_id).Add(f.action);
  if (f.rating) {
    p.Add(*f.rating);
  } else {
    p.AddNull();
  }
  p.Add(f.comment);
  auto r = (*conn)->Exec(
      std::string("INSERT INTO signal_feedback (signal_id, user_id, action, rating, comment)"
                  " SELECT s.id, $2, $3, $4, $5 FROM signals s WHERE s.id = $1::uuid"
                  " ON CONFLICT (signal_id, user_id) DO UPDATE SET action = EXCLUDED.action,"
                  " rating = EXCLUDED.rating, comment = EXCLUDED.comment, created_at = now()"
                  " RETURNING ") + kColumns,
      p);
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("signal " + f.signal_id + " not found");
  return FromRow(*r);
}

StatusOr<SignalFeedback> FeedbackRepository::Get(int64_t user_id, const std::string& signal_id) {
  if (!IsUuidText(signal_id)) return NotFound("no feedback on signal " + signal_id);
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns +
                             " FROM signal_feedback WHERE signal_id = $1::uuid AND user_id = $2",
                         Params().Add(signal_id).Add(user_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("no feedback on signal " + signal_id);
  return FromRow(*r);
}

}  // namespace sf::store
