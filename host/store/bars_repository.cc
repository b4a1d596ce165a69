#include "store/bars_repository.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace sf::store {

namespace {

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

// Streams rows in ~4 MB chunks so memory stays flat for big batches.
Status CopyRows(Connection& c, const BarBatch& b, bool with_keys, int64_t instrument_id,
                std::string_view copy_sql) {
  SF_RETURN_IF_ERROR(c.BeginCopy(copy_sql));
  BinaryCopyWriter w;
  const char* tf = TimeframeSqlName(b.timeframe);
  const size_t n = b.size();
  constexpr size_t kChunk = 4 << 20;
  w.buffer().reserve(kChunk + 4096);
  for (size_t i = 0; i < n; ++i) {
    w.BeginRow(with_keys ? 12 : 9);
    if (with_keys) {
      w.Int64(instrument_id);
      w.Text(tf);
    }
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
    if (with_keys) w.Text(b.source);
    if (w.buffer().size() >= kChunk) {
      Status s = c.PutCopyData(w.buffer().data(), w.buffer().size());
      if (!s.ok()) {
        (void)c.EndCopy();
        return s;
      }
      w.buffer().clear();
    }
  }
  w.Finish();
  Status s = c.PutCopyData(w.buffer().data(), w.buffer().size());
  Status e = c.EndCopy();
  return s.ok() ? e : s;
}

constexpr const char* kStageTable =
    "CREATE TEMP TABLE IF NOT EXISTS sf_bars_stage ("
    " ts_start timestamptz NOT NULL, ts_end timestamptz NOT NULL,"
    " open float8, high float8, low float8, close float8, volume float8,"
    " vwap float8, adj_factor float8) ON COMMIT DELETE ROWS";

constexpr const char* kMerge =
    "WITH up AS ("
    " INSERT INTO bars AS b (instrument_id, timeframe, ts_start, ts_end, open, high, low, close,"
    "  volume, vwap, adj_factor, source)"
    " SELECT $1, $2, s.ts_start, s.ts_end, s.open, s.high, s.low, s.close, s.volume, s.vwap,"
    "  s.adj_factor, $3 FROM sf_bars_stage s"
    " ON CONFLICT (instrument_id, timeframe, ts_start) DO UPDATE SET"
    "  ts_end = EXCLUDED.ts_end, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,"
    "  close = EXCLUDED.close, volume = EXCLUDED.volume, vwap = EXCLUDED.vwap,"
    "  adj_factor = EXCLUDED.adj_factor, source = EXCLUDED.source, ingested_at = now()"
    " WHERE (b.ts_end, b.open, b.high, b.low, b.close, b.volume, b.vwap, b.adj_factor)"
    "  IS DISTINCT FROM (EXCLUDED.ts_end, EXCLUDED.open, EXCLUDED.high, EXCLUDED.low,"
    "  EXCLUDED.close, EXCLUDED.volume, EXCLUDED.vwap, EXCLUDED.adj_factor)"
    " RETURNING (b.xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";

}  // namespace

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
  SF_RETURN_IF_ERROR(Validate(batch));
  IngestCounts counts;
  if (batch.size() == 0) return counts;
  const char* tf = TimeframeSqlName(batch.timeframe);
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    int64_t instrument_id = 0;
    if (options.create_missing_instrument) {
      SF_RETURN_IF_ERROR(c.Run(
          "INSERT INTO instruments (symbol) VALUES ($1) ON CONFLICT (symbol) DO NOTHING",
          Params().Add(batch.symbol)));
    }
    auto id = c.Exec("SELECT id FROM instruments WHERE symbol = $1", Params().Add(batch.symbol));
    if (!id.ok()) return id.status();
    if (id->rows() == 0) return NotFound("bar batch: unknown instrument '" + batch.symbol + "'");
    instrument_id = id->GetInt64(0, 0);
    // One writer per series at a time; other series proceed in parallel.
    SF_RETURN_IF_ERROR(c.Run("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                             Params().Add(int64_t{kBarsLockSpace}).Add(batch.symbol + "/" + tf)));
    auto any = c.Exec(
        "SELECT EXISTS (SELECT 1 FROM bars WHERE instrument_id = $1 AND timeframe = $2"
        " AND ts_start BETWEEN $3 AND $4)",
        Params().Add(instrument_id).Add(tf).AddTimestamp(batch.ts_start.front())
            .AddTimestamp(batch.ts_start.back()));
    if (!any.ok()) return any.status();
    if (!any->GetBool(0, 0)) {
      // Nothing stored in this window: the rows go straight in.
      SF_RETURN_IF_ERROR(CopyRows(
          c, batch, true, instrument_id,
          "COPY bars (instrument_id, timeframe, ts_start, ts_end, open, high, low, close,"
          " volume, vwap, adj_factor, source) FROM STDIN (FORMAT binary)"));
      counts.inserted = static_cast<int64_t>(batch.size());
      return Status::Ok();
    }
    SF_RETURN_IF_ERROR(c.Run(kStageTable));
    SF_RETURN_IF_ERROR(CopyRows(c, batch, false, instrument_id,
                                "COPY sf_bars_stage FROM STDIN (FORMAT binary)"));
    auto merged = c.Exec(kMerge, Params().Add(instrument_id).Add(tf).Add(batch.source));
    if (!merged.ok()) return merged.status();
    counts.inserted = merged->GetInt64(0, 0);
    counts.updated = merged->GetInt64(0, 1);
    counts.unchanged = static_cast<int64_t>(batch.size()) - counts.inserted - counts.updated;
    return Status::Ok();
  });
  if (!s.ok()) return s;
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

}  // namespace sf::store
