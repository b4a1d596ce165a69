// Accounts of the hosted API (table `users`): registration, lookup by email
// or id, paging through users for admins, and tier / status / profile
// changes. Emails are unique case-insensitively (users_email_uq).
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
#ifndef SF_STORE_USERS_REPOSITORY_H_
#define SF_STORE_USERS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct UserRow {
  int64_t id = 0;
  std::string email;
  std::optional<std::string> display_name;
  std::optional<std::string> password_hash;
  std::string tier;          // free | premium | pro | admin
  std::string risk_profile;  // conservative | moderate | aggressive
  std::string timezone;
  std::string status;        // active | suspended | deleted
  std::string created_at;    // ISO-8601 UTC
  std::string updated_at;
};

// Fields a change may set; nullopt leaves the column as it is.
struct UserChange {
  std::optional<std::string> tier;
  std::optional<std::string> status;
  std::optional<std::string> risk_profile;
  std::optional<std::string> display_name;
  std::optional<std::string> timezone;
  std::optional<std::string> password_hash;
};

// The user columns, qualified with alias "u", in the order ReadUserRow reads
// them (for repositories joining users), and the reader itself.
extern const char* const kUserColumns;
UserRow ReadUserRow(const Result& r, int row, int first_col);

class UsersRepository {
 public:
  explicit UsersRepository(Pool* pool) : pool_(pool) {}

  // SF_ERR_CONFLICT when the email is taken (any case).
  StatusOr<UserRow> Create(const std::string& email, const std::optional<std::string>& password_hash,
                           const std::string& tier);
  StatusOr<std::optional<UserRow>> FindByEmail(const std::string& email);
  StatusOr<std::optional<UserRow>> FindById(int64_t id);
  // Users with id > after_id in id order, at most `limit`; filters optional.
  StatusOr<std::vector<UserRow>> List(int64_t after_id, int limit,
                                      const std::optional<std::string>& tier,
                                      const std::optional<std::string>& status);
  // Applies `change`; nullopt when no user has this id. The row before the
  // change is written to *before when given (for the audit log).
  StatusOr<std::optional<UserRow>> Update(int64_t id, const UserChange& change,
                                          UserRow* before = nullptr);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_USERS_REPOSITORY_H_
