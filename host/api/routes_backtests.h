// Backtests over the API (routes_backtests.cc): the runner thread behind
// POST /api/v1/backtests. The API service stops it before the database pool
// goes away; queued runs are marked cancelled.
#ifndef SF_API_ROUTES_BACKTESTS_H_
#define SF_API_ROUTES_BACKTESTS_H_

namespace sf::api {

// Cancels the running backtest, marks queued ones cancelled and joins the
// thread. Safe to call when nothing was ever submitted, and more than once.
void StopBacktestRunner();

}  // namespace sf::api

#endif  // SF_API_ROUTES_BACKTESTS_H_
