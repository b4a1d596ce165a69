#include "store/pg.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace sf::store {

Result& Result::operator=(Result&& o) noexcept {
  if (this != &o) {
    if (res_) PQclear(res_);
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}

Result::~Result() {
  if (res_) PQclear(res_);
}

int Result::rows() const { return res_ ? PQntuples(res_) : 0; }
int Result::columns() const { return res_ ? PQnfields(res_) : 0; }
bool Result::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }

std::string_view Result::Get(int row, int col) const {
  if (IsNull(row, col)) return {};
  return std::string_view(PQgetvalue(res_, row, col), PQgetlength(res_, row, col));
}

int64_t Result::GetInt64(int row, int col) const {
  std::string_view v = Get(row, col);
  int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

double Result::GetDouble(int row, int col) const {
  // strtod handles "NaN"/"Infinity" spellings PostgreSQL uses.
  return std::strtod(PQgetvalue(res_, row, col), nullptr);
}

bool Result::GetBool(int row, int col) const { return Get(row, col) == "t"; }

std::optional<double> Result::GetOptionalDouble(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return GetDouble(row, col);
}

std::optional<std::string> Result::GetOptionalString(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return GetString(row, col);
}

int64_t Result::AffectedRows() const {
  const char* s = res_ ? PQcmdTuples(res_) : "";
  return s && *s ? std::strtoll(s, nullptr, 10) : 0;
}

Params& Params::Add(std::string_view v) {
  values_.emplace_back(std::string(v));
  return *this;
}

Params& Params::Add(int64_t v) {
  values_.emplace_back(std::to_string(v));
  return *this;
}

Params& Params::Add(double v) {
  if (std::isnan(v)) {
    values_.emplace_back("NaN");
  } else if (std::isinf(v)) {
    values_.emplace_back(v > 0 ? "Infinity" : "-Infinity");
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    values_.emplace_back(std::string(buf, r.ptr));
  }
  return *this;
}

Params& Params::Add(bool v) {
  values_.emplace_back(v ? "true" : "false");
  return *this;
}

Params& Params::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}

Params& Params::AddTimestamp(int64_t micros) {
  values_.emplace_back(FormatTimestamp(micros));
  return *this;
}

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> p;
  p.reserve(values_.size());
  for (const auto& v : values_) p.push_back(v ? v->c_str() : nullptr);
  return p;
}

std::string FormatTimestamp(int64_t micros) {
  int64_t secs = micros / 1000000;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Connection-class SQLSTATEs (08xxx), shutdown (57P01..57P03) and
// "cannot connect now" mean the server is not there for us.
bool IsUnavailableState(std::string_view state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" ||
         state == "57P03";
}

}  // namespace

StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo,
                                                       int connect_timeout_s) {
  std::string timeout = std::to_string(connect_timeout_s);
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* vals[] = {conninfo.c_str(), timeout.c_str(), "signalforge", nullptr};
  // expand_dbname=1: `dbname` may be a full conninfo string or URL.
  PGconn* c = PQconnectdbParams(keys, vals, 1);
  if (c == nullptr) return Unavailable("database unavailable: out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = Trim(PQerrorMessage(c));
    PQfinish(c);
    return Unavailable("database unavailable: " + msg);
  }
  // Server NOTICEs ("relation already exists, skipping") are not errors and
  // must not end up on stderr.
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(c));
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

bool Connection::broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

Status Connection::ErrorFromResult(PGresult* res, std::string_view sql) {
  const char* st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string state = st ? st : "";
  std::string msg = Trim(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  if (msg.empty()) msg = Trim(PQerrorMessage(conn_));
  if (PQstatus(conn_) != CONNECTION_OK || IsUnavailableState(state)) {
    broken_ = true;
    return Unavailable("database unavailable: " + msg);
  }
  // The first words of the statement say which step failed.
  std::string where = msg + " [SQLSTATE " + state + "] in: " +
                      std::string(sql.substr(0, std::min<size_t>(sql.size(), 60)));
  if (state == "23505" || state == "23P01" || state == "40001" || state == "40P01")
    return Conflict(where);
  if (state.starts_with("23") || state.starts_with("22")) return InvalidArgument(where);
  return Internal(where);
}

StatusOr<Result> Connection::Exec(std::string_view sql, const Params& params) {
  std::string text(sql);
  auto ptrs = params.Pointers();
  PGresult* res = PQexecParams(conn_, text.c_str(), params.size(), nullptr,
                               ptrs.empty() ? nullptr : ptrs.data(), nullptr,
                               nullptr, 0);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Result(res);
  Status s = ErrorFromResult(res, sql);
  if (res) PQclear(res);
  return s;
}

StatusOr<Result> Connection::ExecPrepared(const std::string& name, std::string_view sql,
                                          const Params& params) {
  if (!prepared_.contains(name)) {
    std::string text(sql);
    PGresult* res = PQprepare(conn_, name.c_str(), text.c_str(), params.size(), nullptr);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK) {
      Status s = ErrorFromResult(res, sql);
      if (res) PQclear(res);
      return s;
    }
    PQclear(res);
    prepared_.insert(name);
  }
  auto ptrs = params.Pointers();
  PGresult* res = PQexecPrepared(conn_, name.c_str(), params.size(),
                                 ptrs.empty() ? nullptr : ptrs.data(), nullptr, nullptr, 0);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Result(res);
  Status s = ErrorFromResult(res, sql);
  if (res) PQclear(res);
  return s;
}

Status Connection::Run(std::string_view sql, const Params& params) {
  auto r = Exec(sql, params);
  return r.ok() ? Status::Ok() : r.status();
}

Status Connection::ExecScript(std::string_view sql) {
  std::string text(sql);
  PGresult* res = PQexec(conn_, text.c_str());
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
    PQclear(res);
    return Status::Ok();
  }
  Status s = ErrorFromResult(res, sql);
  if (res) PQclear(res);
  return s;
}

Status Connection::BeginCopy(std::string_view copy_sql) {
  std::string text(copy_sql);
  PGresult* res = PQexec(conn_, text.c_str());
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COPY_IN) {
    PQclear(res);
    return Status::Ok();
  }
  Status s = ErrorFromResult(res, copy_sql);
  if (res) PQclear(res);
  return s;
}

Status Connection::PutCopyData(const char* data, size_t size) {
  if (PQputCopyData(conn_, data, static_cast<int>(size)) != 1) {
    broken_ = PQstatus(conn_) != CONNECTION_OK;
    std::string msg = Trim(PQerrorMessage(conn_));
    return broken_ ? Unavailable("database unavailable: " + msg)
                   : Internal("COPY failed: " + msg);
  }
  return Status::Ok();
}

Status Connection::EndCopy() {
  if (PQputCopyEnd(conn_, nullptr) != 1) {
    broken_ = true;
    return Unavailable("database unavailable: " + Trim(PQerrorMessage(conn_)));
  }
  Status result = Status::Ok();
  while (PGresult* res = PQgetResult(conn_)) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK && result.ok())
      result = ErrorFromResult(res, "COPY");
    PQclear(res);
  }
  return result;
}

bool Connection::Ping() {
  if (broken()) return false;
  PGresult* res = PQexec(conn_, "SELECT 1");
  bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
  if (res) PQclear(res);
  if (!ok) broken_ = true;
  return ok;
}

}  // namespace sf::store
