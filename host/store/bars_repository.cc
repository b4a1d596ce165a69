#include "store/bars_repository.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace sf::store {

namespace {

using Clock = std::chrono::steady_clock;

// µs between 1970-01-01 and 2000-01-01 (PostgreSQL's timestamp epoch).
constexpr int64_t kPgEpochOffsetUs = 946684800LL * 1000000LL;
// Longest bar the table accepts (bars_length_check).
constexpr int64_t kMaxBarLengthUs = 7LL * 86'400'000'000LL;
// Advisory-lock namespace of bar ingestion ("sfba").
constexpr int32_t kBarsLockSpace = 0x73666261;

// Builds a COPY ... (FORMAT binary) stream.
class BinaryCopyWriter {
 public:
  BinaryCopyWriter() {
    static const char kHeader[] = "PGCOPY\n\377\r\n";
    buf_.append(kHeader, 11);
    PutInt32(0);  // flags
    PutInt32(0);  // header extension length
  }
  void BeginRow(int16_t fields) { PutInt16(fields); }
  void Int64(int64_t v) {
    PutInt32(8);
    PutRaw64(static_cast<uint64_t>(v));
  }
  void Float8(double v) {
    PutInt32(8);
    PutRaw64(std::bit_cast<uint64_t>(v));
  }
  void Timestamp(int64_t unix_us) { Int64(unix_us - kPgEpochOffsetUs); }
  void Text(std::string_view s) {
    PutInt32(static_cast<int32_t>(s.size()));
    buf_.append(s.data(), s.size());
  }
  void Null() { PutInt32(-1); }
  void Finish() { PutInt16(-1); }
  std::string& buffer() { return buf_; }

 private:
  void PutInt16(int16_t v) {
    uint16_t u = static_cast<uint16_t>(v);
    char b[2] = {static_cast<char>(u >> 8), static_cast<char>(u)};
    buf_.append(b, 2);
  }
  void PutInt32(int32_t v) {
    uint32_t u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                 static_cast<char>(u >> 8), static_cast<char>(u)};
    buf_.append(b, 4);
  }
  void PutRaw64(uint64_t u) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (56 - 8 * i));
    buf_.append(b, 8);
  }
  std::string buf_;
};

std::string Describe(const BarBatch& b, size_t i, const char* rule) {
  return "bar batch " + b.symbol + "/" + TimeframeSqlName(b.timeframe) + " row " +
         std::to_string(i) + " (ts_start " +
         (i < b.ts_start.size() ? FormatTimestamp(b.ts_start[i]) : std::string("?")) +
         "): " + rule;
}

bool Positive(double v) { return std::isfinite(v) && v > 0; }

Status Validate(const BarBatch& b) {
  if (b.symbol.empty()) return BadData("bar batch: symbol is empty");
  if (b.source.empty()) return BadData("bar batch " + b.symbol + ": source is empty");
  const size_t n = b.ts_start.size();
  if (b.ts_end.size() != n || b.open.size() != n || b.high.size() != n || b.low.size() != n ||
      b.close.size() != n || b.volume.size() != n || (!b.vwap.empty() && b.vwap.size() != n) ||
      (!b.adj_factor.empty() && b.adj_factor.size() != n)) {
    return BadData("bar batch " + b.symbol +
                   ": columns have different lengths (ts_start has " + std::to_string(n) +
                   "; every column must match, vwap/adj_factor may be empty)");
  }
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && b.ts_start[i] <= b.ts_start[i - 1])
      return BadData(Describe(b, i, "ts_start must be strictly increasing"));
    if (b.ts_end[i] <= b.ts_start[i]) return BadData(Describe(b, i, "ts_end must be after ts_start"));
    if (b.ts_end[i] - b.ts_start[i] > kMaxBarLengthUs)
      return BadData(Describe(b, i, "a bar may last at most 7 days (ts_end - ts_start)"));
    if (!Positive(b.open[i]) || !Positive(b.high[i]) || !Positive(b.low[i]) || !Positive(b.close[i]))
      return BadData(Describe(b, i, "open/high/low/close must be finite and > 0"));
    if (b.low[i] > std::min(b.open[i], b.close[i]))
      return BadData(Describe(b, i, "low must be <= open and close"));
    if (b.high[i] < std::max(b.open[i], b.close[i]))
      return BadData(Describe(b, i, "high must be >= open and close"));
    if (!std::isfinite(b.volume[i]) || b.volume[i] < 0)
      return BadData(Describe(b, i, "volume must be finite and >= 0"));
    if (!b.vwap.empty() && !std::isnan(b.vwap[i]) && !Positive(b.vwap[i]))
      return BadData(Describe(b, i, "vwap must be finite and > 0 (NaN = unknown)"));
    if (!b.adj_factor.empty() && !Positive(b.adj_factor[i]))
      return BadData(Describe(b, i, "adj_factor must be finite and > 0"));
  }
  return Status::Ok();
}

// Streams the rows of batches[which...] into one COPY (the bars columns
// without ingested_at), in ~4 MB chunks so memory stays flat for big groups.
Status CopyRows(Connection& c, std::span<const BarBatch> batches, const std::vector<size_t>& which,
                const std::vector<int64_t>& instrument_ids, std::string_view copy_sql) {
  SF_RETURN_IF_ERROR(c.BeginCopy(copy_sql));
  BinaryCopyWriter w;
  constexpr size_t kChunk = 4 << 20;
  w.buffer().reserve(kChunk + 4096);
  for (size_t k : which) {
    const BarBatch& b = batches[k];
    const char* tf = TimeframeSqlName(b.timeframe);
    for (size_t i = 0; i < b.size(); ++i) {
      w.BeginRow(12);
      w.Int64(instrument_ids[k]);
      w.Text(tf);
      w.Timestamp(b.ts_start[i]);
      w.Timestamp(b.ts_end[i]);
      w.Float8(b.open[i]);
      w.Float8(b.high[i]);
      w.Float8(b.low[i]);
      w.Float8(b.close[i]);
      w.Float8(b.volume[i]);
      if (b.vwap.empty() || std::isnan(b.vwap[i])) {
        w.Null();
      } else {
        w.Float8(b.vwap[i]);
      }
      w.Float8(b.adj_factor.empty() ? 1.0 : b.adj_factor[i]);
      w.Text(b.source);
      if (w.buffer().size() >= kChunk) {
        Status s = c.PutCopyData(w.buffer().data(), w.buffer().size());
        if (!s.ok()) {
          (void)c.EndCopy();
          return s;
        }
        w.buffer().clear();
      }
    }
  }
  w.Finish();
  Status s = c.PutCopyData(w.buffer().data(), w.buffer().size());
  Status e = c.EndCopy();
  return s.ok() ? e : s;
}

// A PostgreSQL array literal of quoted elements ({"a","b"}), for one
// `$n::type[]` parameter instead of one statement per series.
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

int64_t MicrosSince(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
}

constexpr const char* kCopyIntoBars =
    "COPY bars (instrument_id, timeframe, ts_start, ts_end, open, high, low, close,"
    " volume, vwap, adj_factor, source) FROM STDIN (FORMAT binary)";

// Temporary: no WAL, private to the session, emptied at every commit.
constexpr const char* kStageTable =
    "CREATE TEMP TABLE IF NOT EXISTS sf_bars_staging ("
    " instrument_id bigint NOT NULL, timeframe text NOT NULL,"
    " ts_start timestamptz NOT NULL, ts_end timestamptz NOT NULL,"
    " open float8, high float8, low float8, close float8, volume float8,"
    " vwap float8, adj_factor float8, source text NOT NULL) ON COMMIT DELETE ROWS";

// Series (1-based positions in the arrays) that already hold a bar whose
// start lies in [lo, hi]: those go through staging + merge.
constexpr const char* kOccupiedWindows =
    "SELECT k.n FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[])"
    " WITH ORDINALITY AS k(id, tf, lo, hi, n)"
    " WHERE EXISTS (SELECT 1 FROM bars b WHERE b.instrument_id = k.id AND b.timeframe = k.tf"
    " AND b.ts_start BETWEEN k.lo AND k.hi)";

constexpr const char* kMerge =
    "WITH up AS ("
    " INSERT INTO bars AS b (instrument_id, timeframe, ts_start, ts_end, open, high, low, close,"
    "  volume, vwap, adj_factor, source)"
    " SELECT s.instrument_id, s.timeframe, s.ts_start, s.ts_end, s.open, s.high, s.low, s.close,"
    "  s.volume, s.vwap, s.adj_factor, s.source FROM sf_bars_staging s"
    // Rows identical to the stored ones are dropped here, so they are
    // neither locked nor rewritten by ON CONFLICT. LATERAL ... LIMIT 1 keeps
    // this a primary-key probe per staged row (an anti-join was planned as
    // a hash of the whole bars table).
    " LEFT JOIN LATERAL (SELECT o.ts_end, o.open, o.high, o.low, o.close, o.volume, o.vwap,"
    "  o.adj_factor FROM bars o WHERE o.instrument_id = s.instrument_id"
    "  AND o.timeframe = s.timeframe AND o.ts_start = s.ts_start LIMIT 1) o ON true"
    " WHERE (o.ts_end, o.open, o.high, o.low, o.close, o.volume, o.vwap, o.adj_factor)"
    "  IS DISTINCT FROM (s.ts_end, s.open, s.high, s.low, s.close, s.volume, s.vwap,"
    "  s.adj_factor)"
    " ON CONFLICT (instrument_id, timeframe, ts_start) DO UPDATE SET"
    "  ts_end = EXCLUDED.ts_end, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,"
    "  close = EXCLUDED.close, volume = EXCLUDED.volume, vwap = EXCLUDED.vwap,"
    "  adj_factor = EXCLUDED.adj_factor, source = EXCLUDED.source, ingested_at = now()"
    " WHERE (b.ts_end, b.open, b.high, b.low, b.close, b.volume, b.vwap, b.adj_factor)"
    "  IS DISTINCT FROM (EXCLUDED.ts_end, EXCLUDED.open, EXCLUDED.high, EXCLUDED.low,"
    "  EXCLUDED.close, EXCLUDED.volume, EXCLUDED.vwap, EXCLUDED.adj_factor)"
    " RETURNING b.instrument_id, b.timeframe, (b.xmax = 0) AS inserted)"
    " SELECT instrument_id, timeframe, count(*) FILTER (WHERE inserted),"
    "  count(*) FILTER (WHERE NOT inserted) FROM up GROUP BY 1, 2";

}  // namespace

IngestTimings& IngestTimings::operator+=(const IngestTimings& o) {
  prepare_us += o.prepare_us;
  copy_us += o.copy_us;
  merge_us += o.merge_us;
  commit_us += o.commit_us;
  return *this;
}

Status ValidateBarBatch(const BarBatch& batch) { return Validate(batch); }

const char* TimeframeSqlName(market::Timeframe tf) {
  switch (tf) {
    case market::Timeframe::k1m: return "1m";
    case market::Timeframe::k5m: return "5m";
    case market::Timeframe::k15m: return "15m";
    case market::Timeframe::k1h: return "1h";
    case market::Timeframe::k4h: return "4h";
    case market::Timeframe::k1d: return "1d";
  }
  return "1d";
}

std::optional<market::Timeframe> TimeframeFromSqlName(std::string_view name) {
  using market::Timeframe;
  for (Timeframe tf : {Timeframe::k1m, Timeframe::k5m, Timeframe::k15m, Timeframe::k1h,
                       Timeframe::k4h, Timeframe::k1d}) {
    if (name == TimeframeSqlName(tf)) return tf;
  }
  return std::nullopt;
}

StatusOr<IngestCounts> BarsRepository::Ingest(const BarBatch& batch, const IngestOptions& options) {
  auto counts = IngestMany(std::span<const BarBatch>(&batch, 1), options);
  if (!counts.ok()) return counts.status();
  return (*counts)[0];
}

StatusOr<std::vector<IngestCounts>> BarsRepository::IngestMany(std::span<const BarBatch> batches,
                                                               const IngestOptions& options,
                                                               IngestTimings* timings) {
  std::vector<IngestCounts> counts(batches.size());
  std::vector<size_t> live;  // batches with rows
  std::set<std::string> series, symbols;
  for (size_t k = 0; k < batches.size(); ++k) {
    const BarBatch& b = batches[k];
    SF_RETURN_IF_ERROR(Validate(b));
    const std::string key = b.symbol + "/" + TimeframeSqlName(b.timeframe);
    if (!series.insert(key).second) {
      return InvalidArgument("bar batches: series " + key +
                             " appears twice in one IngestMany call (give each series once)");
    }
    if (b.size() == 0) continue;
    live.push_back(k);
    symbols.insert(b.symbol);
  }
  if (live.empty()) return counts;
  const std::string symbol_array = ArrayLiteral({symbols.begin(), symbols.end()});
  IngestTimings t;
  Clock::time_point body_done;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto t0 = Clock::now();
    if (options.create_missing_instrument) {
      // Sorted, so concurrent loaders of new symbols take them in one order.
      SF_RETURN_IF_ERROR(c.Run(
          "INSERT INTO instruments (symbol) SELECT s FROM unnest($1::text[]) AS s ORDER BY s"
          " ON CONFLICT (symbol) DO NOTHING",
          Params().Add(symbol_array)));
    }
    // FOR KEY SHARE: the instrument cannot be deleted until this commits.
    auto found = c.Exec(
        "SELECT symbol, id FROM instruments WHERE symbol = ANY($1::text[]) ORDER BY id"
        " FOR KEY SHARE",
        Params().Add(symbol_array));
    if (!found.ok()) return found.status();
    std::map<std::string, int64_t, std::less<>> id_of;
    for (int r = 0; r < found->rows(); ++r) id_of[found->GetString(r, 0)] = found->GetInt64(r, 1);
    std::vector<int64_t> ids(batches.size(), 0);
    for (size_t k : live) {
      auto it = id_of.find(batches[k].symbol);
      if (it == id_of.end()) {
        return NotFound("bar batch: unknown instrument '" + batches[k].symbol + "'");
      }
      ids[k] = it->second;
    }
    // One writer per series at a time (locks taken in one order); other
    // series proceed in parallel.
    SF_RETURN_IF_ERROR(c.Run(
        "SELECT pg_advisory_xact_lock($1, h) FROM"
        " (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k) AS s ORDER BY h",
        Params().Add(int64_t{kBarsLockSpace}).Add(ArrayLiteral({series.begin(), series.end()}))));
    // Decided under the locks: a series with no stored bar in its window
    // cannot conflict, so its rows go straight in.
    std::vector<std::string> id_items, tf_items, lo_items, hi_items;
    for (size_t k : live) {
      id_items.push_back(std::to_string(ids[k]));
      tf_items.push_back(TimeframeSqlName(batches[k].timeframe));
      lo_items.push_back(FormatTimestamp(batches[k].ts_start.front()));
      hi_items.push_back(FormatTimestamp(batches[k].ts_start.back()));
    }
    auto occupied = c.Exec(kOccupiedWindows, Params()
                                                 .Add(ArrayLiteral(id_items))
                                                 .Add(ArrayLiteral(tf_items))
                                                 .Add(ArrayLiteral(lo_items))
                                                 .Add(ArrayLiteral(hi_items)));
    if (!occupied.ok()) return occupied.status();
    std::vector<bool> merge_it(batches.size(), false);
    for (int r = 0; r < occupied->rows(); ++r) {
      const int64_t n = occupied->GetInt64(r, 0);
      if (n >= 1 && n <= static_cast<int64_t>(live.size())) merge_it[live[n - 1]] = true;
    }
    std::vector<size_t> direct, merged;
    for (size_t k : live) (merge_it[k] ? merged : direct).push_back(k);
    t.prepare_us += MicrosSince(t0);

    if (!direct.empty()) {
      auto tc = Clock::now();
      SF_RETURN_IF_ERROR(CopyRows(c, batches, direct, ids, kCopyIntoBars));
      for (size_t k : direct) counts[k].inserted = static_cast<int64_t>(batches[k].size());
      t.copy_us += MicrosSince(tc);
    }
    if (!merged.empty()) {
      auto tc = Clock::now();
      SF_RETURN_IF_ERROR(c.Run(kStageTable));
      SF_RETURN_IF_ERROR(
          CopyRows(c, batches, merged, ids, "COPY sf_bars_staging FROM STDIN (FORMAT binary)"));
      t.copy_us += MicrosSince(tc);
      auto tm = Clock::now();
      // The row estimates of a big merge trip jit_above_cost; compiling the
      // plan took longer than running it.
      SF_RETURN_IF_ERROR(c.Run("SET LOCAL jit = off"));
      auto up = c.Exec(kMerge);
      if (!up.ok()) return up.status();
      std::map<std::pair<int64_t, std::string>, size_t> batch_of;
      for (size_t k : merged) batch_of[{ids[k], TimeframeSqlName(batches[k].timeframe)}] = k;
      for (int r = 0; r < up->rows(); ++r) {
        auto it = batch_of.find({up->GetInt64(r, 0), up->GetString(r, 1)});
        if (it == batch_of.end()) return Internal("bar merge returned a series it was not given");
        counts[it->second].inserted = up->GetInt64(r, 2);
        counts[it->second].updated = up->GetInt64(r, 3);
      }
      for (size_t k : merged) {
        counts[k].unchanged =
            static_cast<int64_t>(batches[k].size()) - counts[k].inserted - counts[k].updated;
      }
      t.merge_us += MicrosSince(tm);
    }
    // Heard by listeners when (and only if) these bars commit.
    if (options.notify) {
      std::vector<std::string> payloads;
      for (size_t k : live) {
        if (counts[k].inserted + counts[k].updated > 0) {
          payloads.push_back(batches[k].symbol + "|" + TimeframeSqlName(batches[k].timeframe));
        }
      }
      if (!payloads.empty()) {
        SF_RETURN_IF_ERROR(c.Run("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                                 Params().Add(kBarsChannel).Add(ArrayLiteral(payloads))));
      }
    }
    body_done = Clock::now();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  t.commit_us += MicrosSince(body_done);
  if (timings) *timings += t;
  return counts;
}

StatusOr<market::BarSeries> BarsRepository::Load(const std::string& symbol,
                                                 market::Timeframe timeframe, int64_t from_us,
                                                 int64_t to_us) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto id = (*conn)->Exec("SELECT id FROM instruments WHERE symbol = $1", Params().Add(symbol));
  if (!id.ok()) return id.status();
  if (id->rows() == 0) return NotFound("unknown instrument '" + symbol + "'");
  auto r = (*conn)->Exec(
      "SELECT (extract(epoch FROM ts_end) * 1000000)::bigint, open, high, low, close, volume"
      " FROM bars WHERE instrument_id = $1 AND timeframe = $2"
      // Bars last at most 7 days (bars_length_check): a primary key range.
      " AND ts_start BETWEEN $3::timestamptz - interval '7 days' AND $4"
      " AND ts_end BETWEEN $3 AND $4 ORDER BY ts_start",
      Params().Add(id->GetInt64(0, 0)).Add(TimeframeSqlName(timeframe)).AddTimestamp(from_us)
          .AddTimestamp(to_us));
  if (!r.ok()) return r.status();
  market::BarSeries series;
  series.symbol = symbol;
  series.timeframe = timeframe;
  series.Reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    series.Append(r->GetInt64(i, 0), r->GetDouble(i, 1), r->GetDouble(i, 2), r->GetDouble(i, 3),
                  r->GetDouble(i, 4), r->GetDouble(i, 5));
  }
  return series;
}

StatusOr<std::optional<int64_t>> BarsRepository::LatestBarEnd(const std::string& symbol,
                                                              market::Timeframe timeframe) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT (extract(epoch FROM max(b.ts_end)) * 1000000)::bigint FROM bars b"
      " JOIN instruments i ON i.id = b.instrument_id WHERE i.symbol = $1 AND b.timeframe = $2",
      Params().Add(symbol).Add(TimeframeSqlName(timeframe)));
  if (!r.ok()) return r.status();
  if (r->IsNull(0, 0)) return std::optional<int64_t>();
  return std::optional<int64_t>(r->GetInt64(0, 0));
}

StatusOr<std::string> BarsRepository::Checksum() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT coalesce(md5(string_agg(md5(concat_ws('|', i.symbol, b.timeframe, b.ts_start,"
      " b.ts_end, b.open, b.high, b.low, b.close, b.volume, coalesce(b.vwap::text, 'null'),"
      " b.adj_factor, b.source)),"
      " '' ORDER BY i.symbol, b.timeframe, b.ts_start)), md5(''))"
      " FROM bars b JOIN instruments i ON i.id = b.instrument_id");
  if (!r.ok()) return r.status();
  return r->GetString(0, 0);
}

StatusOr<int64_t> BarsRepository::Count() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("SELECT count(*) FROM bars");
  if (!r.ok()) return r.status();
  return r->GetInt64(0, 0);
}

BarBatch BarBatchFromProvider(market::ProviderBars&& bars, std::string source) {
  BarBatch batch;
  batch.symbol = std::move(bars.symbol);
  batch.timeframe = bars.timeframe;
  batch.source = std::move(source);
  batch.ts_start = std::move(bars.ts_start);
  batch.ts_end = std::move(bars.ts_end);
  batch.open = std::move(bars.open);
  batch.high = std::move(bars.high);
  batch.low = std::move(bars.low);
  batch.close = std::move(bars.close);
  batch.volume = std::move(bars.volume);
  batch.vwap = std::move(bars.vwap);
  batch.adj_factor = std::move(bars.adj_factor);
  return batch;
}

BarsBulkLoader::BarsBulkLoader(BarsRepository* repo, BulkLoadOptions options)
    : repo_(repo), options_(std::move(options)) {
  const int n = std::max(1, options_.loaders);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

BarsBulkLoader::~BarsBulkLoader() { Finish(); }

Status BarsBulkLoader::Add(BarBatch batch) {
  SF_RETURN_IF_ERROR(Validate(batch));
  if (batch.size() == 0) return Status::Ok();
  std::unique_lock lock(mu_);
  if (closing_) return Internal("bars loader: Add after Finish");
  if (!unavailable_.ok()) return unavailable_;
  // A series appears once per transaction: a repeat starts the next one.
  std::string key = batch.symbol + "/" + TimeframeSqlName(batch.timeframe);
  if (open_keys_.count(key)) CloseGroupLocked();
  open_keys_.insert(std::move(key));
  open_rows_ += batch.size();
  open_.push_back(std::move(batch));
  if (open_rows_ >= options_.rows_per_transaction) CloseGroupLocked();
  space_cv_.wait(lock, [&] { return ready_.size() < 2 * threads_.size() || !unavailable_.ok(); });
  return unavailable_;
}

void BarsBulkLoader::CloseGroupLocked() {
  if (open_.empty()) return;
  ready_.push_back(std::move(open_));
  open_.clear();
  open_keys_.clear();
  open_rows_ = 0;
  ready_cv_.notify_one();
}

void BarsBulkLoader::Run() {
  for (;;) {
    Group group;
    {
      std::unique_lock lock(mu_);
      ready_cv_.wait(lock, [&] { return !ready_.empty() || closing_; });
      if (ready_.empty()) return;
      group = std::move(ready_.front());
      ready_.pop_front();
    }
    space_cv_.notify_all();
    Commit(group);
  }
}

void BarsBulkLoader::Commit(Group& group) {
  auto key = [](const BarBatch& b) { return b.symbol + "/" + TimeframeSqlName(b.timeframe); };
  auto record = [&](std::span<const BarBatch> done, const StatusOr<std::vector<IngestCounts>>& r,
                    const IngestTimings& t) {
    std::lock_guard lock(mu_);
    if (!r.ok()) {
      if (r.status().code() == SF_ERR_UNAVAILABLE && unavailable_.ok()) unavailable_ = r.status();
      for (const auto& b : done) result_.errors.emplace_back(key(b), r.status());
      space_cv_.notify_all();
      return;
    }
    result_.transactions++;
    result_.series += static_cast<int64_t>(done.size());
    result_.timings += t;
    for (const auto& c : *r) {
      result_.counts.inserted += c.inserted;
      result_.counts.updated += c.updated;
      result_.counts.unchanged += c.unchanged;
    }
  };
  auto gone = [&]() {
    std::lock_guard lock(mu_);
    return unavailable_;
  };
  if (Status down = gone(); !down.ok()) {
    record(group, down, {});
    return;
  }
  IngestTimings t;
  auto r = repo_->IngestMany(group, options_.ingest, &t);
  if (r.ok() || r.status().code() == SF_ERR_UNAVAILABLE || group.size() == 1) {
    record(group, r, t);
    return;
  }
  // Find the series at fault: each on its own, the others still load.
  for (const BarBatch& b : group) {
    std::span<const BarBatch> one(&b, 1);
    if (Status down = gone(); !down.ok()) {
      record(one, down, {});
      continue;
    }
    IngestTimings t1;
    auto r1 = repo_->IngestMany(one, options_.ingest, &t1);
    record(one, r1, t1);
  }
}

BulkLoadResult BarsBulkLoader::Finish() {
  {
    std::lock_guard lock(mu_);
    if (!closing_) {
      CloseGroupLocked();
      closing_ = true;
    }
  }
  ready_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(mu_);
  return result_;
}

BulkLoadResult BarsBulkLoader::Snapshot() const {
  std::lock_guard lock(mu_);
  return result_;
}

}  // namespace sf::store
