// Users' feedback on signals (signal_feedback): one row per (signal, user),
// upserted, so a user can change their rating or action later.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_FEEDBACK_REPOSITORY_H_
#define SF_STORE_FEEDBACK_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct SignalFeedback {
  std::string signal_id;
  std::optional<std::string> action;  // ignored | bookmarked | executed | shared
  std::optional<int> rating;          // 1..5
  std::optional<std::string> comment;
  int64_t created_at = 0;             // µs since the epoch
};

class FeedbackRepository {
 public:
  explicit FeedbackRepository(Pool* pool) : pool_(pool) {}

  // Inserts or replaces `user_id`'s feedback on the signal.
  // SF_ERR_NOT_FOUND for an unknown signal, SF_ERR_INVALID_ARGUMENT naming a
  // value outside its rule.
  StatusOr<SignalFeedback> Upsert(int64_t user_id, const SignalFeedback& feedback);
  // `user_id`'s feedback on the signal; SF_ERR_NOT_FOUND when none.
  StatusOr<SignalFeedback> Get(int64_t user_id, const std::string& signal_id);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_FEEDBACK_REPOSITORY_H_
