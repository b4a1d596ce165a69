// Thin RAII layer over libpq used by every store unit: a query result, a
// parameter list, and one database connection with helpers that turn libpq
// failures into sf::Status.
//
// Only parameterised statements exist here (PQexecParams); SQL text always
// comes from code constants, values always travel as parameters.
//
// Thread-safety: a Connection is used by one thread at a time (the pool
// hands each one to a single borrower). Result and Params are value types.
#ifndef SF_STORE_PG_H_
#define SF_STORE_PG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/status.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace sf::store {

// Owns a PGresult; columns are read as text (the format PQexecParams uses
// unless asked otherwise).
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* res) : res_(res) {}
  Result(Result&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
  Result& operator=(Result&& o) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const;
  int columns() const;
  bool IsNull(int row, int col) const;
  std::string_view Get(int row, int col) const;  // "" when NULL
  std::string GetString(int row, int col) const { return std::string(Get(row, col)); }
  int64_t GetInt64(int row, int col) const;
  double GetDouble(int row, int col) const;
  bool GetBool(int row, int col) const;  // "t" / "f"
  std::optional<double> GetOptionalDouble(int row, int col) const;
  std::optional<std::string> GetOptionalString(int row, int col) const;
  // Number of rows an INSERT/UPDATE/DELETE touched (PQcmdTuples).
  int64_t AffectedRows() const;
  PGresult* get() const { return res_; }

 private:
  PGresult* res_ = nullptr;
};

// Positional parameters ($1, $2, ...) in text format. Doubles are written in
// shortest round-trip form, so what PostgreSQL stores is bit-identical.
class Params {
 public:
  Params& Add(std::string_view v);
  Params& Add(const char* v) { return Add(std::string_view(v)); }
  Params& Add(const std::string& v) { return Add(std::string_view(v)); }
  Params& Add(int64_t v);
  Params& Add(int v) { return Add(static_cast<int64_t>(v)); }
  Params& Add(double v);
  Params& Add(bool v);
  Params& AddNull();
  template <typename T>
  Params& Add(const std::optional<T>& v) {
    return v ? Add(*v) : AddNull();
  }
  // A µs-since-epoch UTC instant as an ISO-8601 timestamptz literal.
  Params& AddTimestamp(int64_t micros);
  Params& AddOptionalTimestamp(std::optional<int64_t> micros) {
    return micros ? AddTimestamp(*micros) : AddNull();
  }

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers valid while this Params lives and is not modified.
  std::vector<const char*> Pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// "2021-04-21 00:00:00.000000+00" for µs since the epoch.
std::string FormatTimestamp(int64_t micros);

// One libpq connection. Owns the PGconn. `broken()` becomes true when the
// server connection is lost; the pool then discards and reconnects it.
class Connection {
 public:
  // Opens a connection; SF_ERR_UNAVAILABLE when the server is unreachable.
  static StatusOr<std::unique_ptr<Connection>> Open(const std::string& conninfo,
                                                    int connect_timeout_s = 5);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one parameterised statement. Errors: SF_ERR_UNAVAILABLE when the
  // connection is gone ("database unavailable: ..."), SF_ERR_CONFLICT on a
  // unique/exclusion violation, SF_ERR_INVALID_ARGUMENT on check/foreign key
  // / data errors, SF_ERR_INTERNAL otherwise; the message includes the
  // server's text and SQLSTATE.
  StatusOr<Result> Exec(std::string_view sql, const Params& params = Params());
  // Exec through a server-side prepared statement named `name`, prepared on
  // this connection the first time it is used (hot read paths: no parse or
  // plan per call). `name` must identify `sql` for the process's lifetime.
  StatusOr<Result> ExecPrepared(const std::string& name, std::string_view sql,
                                const Params& params = Params());
  // Same, ignoring the result.
  Status Run(std::string_view sql, const Params& params = Params());
  // Statement text without parameters, may hold several statements
  // (migrations only: the text comes from files shipped with the product).
  Status ExecScript(std::string_view sql);

  // COPY ... FROM STDIN: start with `copy_sql`, then PutCopyData chunks,
  // then EndCopy (which reports the server's verdict).
  Status BeginCopy(std::string_view copy_sql);
  Status PutCopyData(const char* data, size_t size);
  Status EndCopy();

  // True when the socket is known dead (or a statement failed with a
  // connection-level error).
  bool broken() const;
  // Cheap liveness probe ("SELECT 1"); marks the connection broken on failure.
  bool Ping();
  PGconn* raw() { return conn_; }

 private:
  explicit Connection(PGconn* c) : conn_(c) {}
  Status ErrorFromResult(PGresult* res, std::string_view sql);
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  std::unordered_set<std::string> prepared_;  // statement names prepared here
};

}  // namespace sf::store

#endif  // SF_STORE_PG_H_
