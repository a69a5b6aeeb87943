//! The blocks of the payload: what the engines compute, as the dashboard reads it.
//!
//! Every metric is a [`Metric<T>`]: the value's fields flattened beside a `provenance`
//! object. An unavailable metric has only its provenance (with `reason` and `fix`).
//! Prices and distances are in index points (`*_pts`), percentages in percent
//! (`*_pct`, 1.5 = 1.5 %), probabilities in `[0, 1]`, volatilities annualised in
//! percent (`*_vol_pct`, 14.2 = 14.2 % a year).

use chrono::{DateTime, FixedOffset, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use aegis_model::{Expiry, Metric, Symbol};

// ───────────────────────────── shared ─────────────────────────────

/// A stated direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    /// Up beyond the dead zone.
    Up,
    /// Inside the dead zone, or no class beats its base rate by the margin.
    Neutral,
    /// Down beyond the dead zone.
    Down,
}

/// Probabilities of the three direction classes (sum to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassProbs {
    /// P(UP).
    pub up: f64,
    /// P(NEUTRAL).
    pub neutral: f64,
    /// P(DOWN).
    pub down: f64,
}

/// A point of a time series for small charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimePoint {
    /// Time (IST).
    pub t: DateTime<FixedOffset>,
    /// Value.
    pub v: f64,
}

/// A point of a daily series for small charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DatePoint {
    /// IST trading date.
    pub date: NaiveDate,
    /// Value.
    pub v: f64,
}

/// Out-of-sample skill of a model, from its walk-forward evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Skill {
    /// Out-of-sample accuracy of the stated class.
    pub accuracy: f64,
    /// Brier skill score against climatology of the forecast as served (calibrated); > 0 means
    /// better than the base rates. Absent when undefined (a climatology Brier of 0).
    pub brier_skill: Option<f64>,
    /// Brier skill score of the logistic baseline, for comparison (absent when undefined).
    pub baseline_brier_skill: Option<f64>,
    /// AUC (macro one-vs-rest for three classes); absent when a class never occurred.
    pub auc: Option<f64>,
    /// Expected calibration error.
    pub ece: f64,
    /// Number of out-of-sample test days.
    pub n: u32,
    /// Whether the model beat climatology and the baseline out of sample.
    pub has_skill: bool,
    /// Plain statement of the skill for the tile.
    pub verdict: String,
}

/// A labelled level with a short explanation, used for flags and regimes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reason {
    /// Short code of the condition (e.g. `vol_trap_high`).
    pub code: String,
    /// Plain-language explanation.
    pub text: String,
    /// Whether the condition argues against the trade (`true`) or for it.
    pub adverse: bool,
}

// ───────────────────────────── market ─────────────────────────────

/// Where the spot value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpotSource {
    /// The latest 5-minute bar of today's session.
    IntradayBar,
    /// The last daily close.
    DailyClose,
}

/// Spot price of the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Spot {
    /// Latest value.
    pub value: f64,
    /// Previous session's close.
    pub prev_close: f64,
    /// `value − prev_close`, points.
    pub change_pts: f64,
    /// Change in percent.
    pub change_pct: f64,
    /// Where `value` came from.
    pub source: SpotSource,
    /// When `value` was observed (IST).
    pub at: DateTime<FixedOffset>,
    /// Today's 5-minute closes for the sparkline (empty outside sessions without bars).
    pub intraday: Vec<TimePoint>,
}

/// India VIX level band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VixBand {
    /// Below the 1-year 33rd percentile.
    Low,
    /// Between the 33rd and 67th percentiles.
    Normal,
    /// Above the 67th percentile.
    High,
}

/// India VIX.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Vix {
    /// Latest value (annualised vol, percent).
    pub value: f64,
    /// Previous close.
    pub prev_close: f64,
    /// Change in VIX points.
    pub change: f64,
    /// Change in percent.
    pub change_pct: f64,
    /// Fraction of the last 252 sessions with VIX at or below today's.
    pub percentile_1y: f64,
    /// Band from the percentile.
    pub band: VixBand,
}

/// Market regime labels (PRODUCT.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegimeLabel {
    /// Rising with low volatility.
    LowVolBull,
    /// Falling with high volatility.
    HighVolBear,
    /// Little drift, moderate volatility.
    SidewaysChop,
    /// Persistent drift.
    TrendFollowing,
}

/// One hidden state of the regime model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegimeState {
    /// The label mapped to this state.
    pub label: RegimeLabel,
    /// Filtered probability of being in this state today.
    pub probability: f64,
    /// The state's mean daily return, annualised, percent.
    pub mean_return_ann_pct: f64,
    /// The state's mean India VIX.
    pub mean_vix: f64,
}

/// Market regime from the Gaussian HMM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MarketRegime {
    /// Most probable label today.
    pub label: RegimeLabel,
    /// Every state with its probability.
    pub states: Vec<RegimeState>,
    /// How states map to labels.
    pub mapping_rule: String,
}

/// Session state now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionInfo {
    /// Whether the NSE cash market is open at generation time.
    pub market_open: bool,
    /// `pre_open`, `open`, `post_close` or `closed`.
    pub state: String,
    /// The session the data belongs to.
    pub session_date: NaiveDate,
}

/// Timestamps of the newest data of each kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DataTimes {
    /// Newest complete daily bar of the index.
    pub daily: Option<NaiveDate>,
    /// Newest 5-minute bar (bar start, IST).
    pub intraday: Option<DateTime<FixedOffset>>,
    /// Newest India VIX daily bar.
    pub vix: Option<NaiveDate>,
    /// Newest option-chain snapshot (IST).
    pub chain: Option<DateTime<FixedOffset>>,
}

/// The market block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MarketBlock {
    /// The index.
    pub symbol: Symbol,
    /// Spot.
    pub spot: Metric<Spot>,
    /// India VIX.
    pub vix: Metric<Vix>,
    /// Market regime.
    pub regime: Metric<MarketRegime>,
    /// Session state.
    pub session: SessionInfo,
    /// Data timestamps.
    pub data_times: DataTimes,
}

// ───────────────────────────── direction ─────────────────────────────

/// Opening-range (first 30 minutes) breakout state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OpeningRangeState {
    /// The first 30 minutes are not over.
    NotFormed,
    /// Price is inside the opening range.
    Inside,
    /// Price has broken above the range.
    BrokeUp,
    /// Price has broken below the range.
    BrokeDown,
}

/// Today's (intraday) direction view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TodayView {
    /// Stated direction for the rest of today.
    pub direction: Direction,
    /// Gauge position in `[−1, 1]` (−1 strongly down, +1 strongly up).
    pub gauge: f64,
    /// Conviction: probability of the stated direction from the T+1 model.
    pub conviction: f64,
    /// The T+1 probabilities the view combines with intraday state.
    pub t1: ClassProbs,
    /// Gap of today's open from the previous close, percent (absent outside a session).
    pub gap_pct: Option<f64>,
    /// Opening-range state.
    pub opening_range: OpeningRangeState,
    /// Opening-range high, if formed.
    pub or_high: Option<f64>,
    /// Opening-range low, if formed.
    pub or_low: Option<f64>,
    /// Realized volatility so far today relative to the usual for this time of day.
    pub rv_ratio: Option<f64>,
    /// How the parts were combined, in words.
    pub notes: Vec<String>,
}

/// A direction forecast for one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HorizonForecast {
    /// Horizon in trading days.
    pub days: u32,
    /// Tile name (Tomorrow, Next 3 Days, …).
    pub name: String,
    /// Calibrated class probabilities.
    pub probs: ClassProbs,
    /// Base rates of the classes in the training data.
    pub base_rates: ClassProbs,
    /// Stated direction (NEUTRAL unless the top class beats its base rate by the margin).
    pub direction: Direction,
    /// Probability of the stated direction.
    pub conviction: f64,
    /// Signed expected move (probability-weighted class means), points.
    pub expected_move_pts: f64,
    /// 68 % range low `S·exp(−σ√T)`.
    pub range68_low: f64,
    /// 68 % range high `S·exp(+σ√T)`.
    pub range68_high: f64,
    /// σ used for the range, annualised percent.
    pub sigma_vol_pct: f64,
    /// Dead zone `δ_h` in percent.
    pub dead_zone_pct: f64,
    /// Out-of-sample skill.
    pub skill: Skill,
}

/// Direction risk score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RiskScore {
    /// Score in `[0, 1]`: higher is more uncertain.
    pub score: f64,
    /// Percentile of the volatility forecast within the last year.
    pub vol_percentile: f64,
    /// Mean normalised entropy of the horizon probabilities.
    pub entropy: f64,
    /// The formula, in words.
    pub rule: String,
}

/// The direction block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DirectionBlock {
    /// Today (intraday).
    pub today: Metric<TodayView>,
    /// The six horizons, 1, 3, 5, 10, 20, 40 trading days.
    pub horizons: Vec<Metric<HorizonForecast>>,
    /// Risk score.
    pub risk: Metric<RiskScore>,
}

// ───────────────────────────── sellers ─────────────────────────────

/// Safe short range for an expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SafeRange {
    /// Confidence `c`.
    pub confidence: f64,
    /// Spot the range is built around.
    pub spot: f64,
    /// Lower strike (on the strike grid).
    pub lower: f64,
    /// Upper strike.
    pub upper: f64,
    /// Touch probability of the lower strike before expiry.
    pub lower_touch_prob: f64,
    /// Touch probability of the upper strike before expiry.
    pub upper_touch_prob: f64,
    /// σ used, annualised percent.
    pub sigma_vol_pct: f64,
    /// Where σ came from (`chain_atm_iv`, `garch`, `har`, `india_vix`).
    pub sigma_source: String,
    /// Trading days to expiry.
    pub horizon_days: u32,
    /// Strike step of the grid.
    pub strike_step: f64,
}

/// Historical hit rate of the safe range (walk-forward).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HitRate {
    /// Share of days on which the range held to the horizon.
    pub rate: f64,
    /// 95 % Wilson interval low.
    pub ci_low: f64,
    /// 95 % Wilson interval high.
    pub ci_high: f64,
    /// Days that held.
    pub hits: u32,
    /// Days tested.
    pub n: u32,
    /// The confidence the range targets.
    pub target: f64,
    /// First and last test dates.
    pub from: NaiveDate,
    /// Last test date.
    pub to: NaiveDate,
    /// Rolling 250-day hit rate for the chart.
    pub series: Vec<DatePoint>,
}

/// One distance on the range breach curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BreachPoint {
    /// Distance from spot, percent.
    pub distance_pct: f64,
    /// Distance from spot, points.
    pub distance_pts: f64,
    /// Model touch probability (either side) before expiry.
    pub model_prob: f64,
    /// Frequency of such a touch in the walk-forward history.
    pub historical_freq: f64,
    /// Days behind the frequency.
    pub n: u32,
}

/// Range breach curve: model beside history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BreachCurve {
    /// Points at 0.5, 1, 1.5, 2, 3, 4, 5 % of spot.
    pub points: Vec<BreachPoint>,
}

/// One strike of the pain curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PainPoint {
    /// Settlement strike.
    pub strike: f64,
    /// Total option-writer pay-out at that settlement (OI units × points).
    pub pain: f64,
}

/// Max pain and open-interest structure of an expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MaxPain {
    /// The chain expiry these figures are for: the seller expiry itself, or, from a stale chain
    /// that does not list it, the chain's expiry in the same position (nearest first).
    pub expiry: Expiry,
    /// Strike minimising total pay-out.
    pub max_pain: f64,
    /// Lowest strike of the zone (pain within 5 % of the minimum).
    pub zone_low: f64,
    /// Highest strike of the zone.
    pub zone_high: f64,
    /// Pain curve.
    pub curve: Vec<PainPoint>,
    /// Put–call ratio by open interest.
    pub pcr_oi: f64,
    /// Put–call ratio by volume (absent when no volume traded).
    pub pcr_volume: Option<f64>,
    /// Strike with the largest call OI (resistance).
    pub call_wall: f64,
    /// Strike with the largest put OI (support).
    pub put_wall: f64,
    /// Total call OI.
    pub call_oi: f64,
    /// Total put OI.
    pub put_oi: f64,
    /// Total change in call OI.
    pub call_oi_change: f64,
    /// Total change in put OI.
    pub put_oi_change: f64,
    /// The chain's underlying value minus max pain, points.
    pub spot_minus_max_pain: f64,
}

/// Skew from the option chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChainSkew {
    /// The chain expiry these figures are for (as [`MaxPain::expiry`]).
    pub expiry: Expiry,
    /// ATM implied vol at the forward, percent.
    pub atm_iv_pct: f64,
    /// 25-delta call IV, percent.
    pub call25_iv_pct: Option<f64>,
    /// 25-delta put IV, percent.
    pub put25_iv_pct: Option<f64>,
    /// Risk reversal `IV_c25 − IV_p25`, vol points.
    pub rr25: Option<f64>,
    /// Butterfly `(IV_c25 + IV_p25)/2 − ATM`, vol points.
    pub bf25: Option<f64>,
    /// `IV_p25 − ATM`, vol points.
    pub put_skew: Option<f64>,
    /// `IV_c25 − ATM`, vol points.
    pub call_skew: Option<f64>,
    /// Parity forward used.
    pub forward: f64,
}

/// Realized skewness of daily returns (not implied skew: labelled apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RealizedSkew {
    /// Sample skewness of the last 60 daily log returns.
    pub skewness: f64,
    /// Returns used.
    pub n: u32,
}

/// A three-level label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level3 {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// Volatility trap risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VolTrap {
    /// Calibrated probability that realized vol to expiry exceeds today's implied vol.
    pub probability: f64,
    /// Base rate of that event in the training data.
    pub base_rate: f64,
    /// LOW / MEDIUM / HIGH against the base rate.
    pub label: Level3,
    /// Implied vol used, percent.
    pub iv_pct: f64,
    /// `india_vix` or `chain_atm_iv`.
    pub iv_source: String,
    /// IV percentile over 1 year.
    pub iv_percentile: f64,
    /// Realized vol (20-day close-to-close), percent.
    pub rv_pct: f64,
    /// RV percentile over 1 year.
    pub rv_percentile: f64,
    /// `iv_pct − rv_pct`.
    pub spread: f64,
    /// Forecast vol to expiry, percent.
    pub forecast_vol_pct: f64,
}

/// Expiry stress label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StressLabel {
    /// Calm.
    Calm,
    /// Caution.
    Caution,
    /// Hostile.
    Hostile,
}

/// Expiry stress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExpiryStress {
    /// Calibrated probability of a move beyond the implied move before expiry.
    pub probability: f64,
    /// Base rate.
    pub base_rate: f64,
    /// CALM / CAUTION / HOSTILE.
    pub label: StressLabel,
    /// Implied move, points.
    pub implied_move_pts: f64,
    /// `atm_straddle` or `india_vix`.
    pub implied_move_source: String,
    /// Trading days to expiry.
    pub days_to_expiry: u32,
    /// ATM gamma per point (Black-76), when a chain is present.
    pub atm_gamma: Option<f64>,
    /// Spot minus max pain, when a chain is present.
    pub distance_to_max_pain: Option<f64>,
}

/// Everything the sellers' view shows for one expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SellerExpiry {
    /// The expiry.
    pub expiry: Expiry,
    /// `weekly` or `monthly`.
    pub kind: String,
    /// Trading days from the data date to expiry (inclusive of the expiry day).
    pub trading_days: u32,
    /// Safe short range.
    pub safe_range: Metric<SafeRange>,
    /// Historical hit rate of the same rule at the same horizon.
    pub hit_rate: Metric<HitRate>,
    /// Range breach curve.
    pub breach_curve: Metric<BreachCurve>,
    /// Max pain and OI structure (needs a chain).
    pub max_pain: Metric<MaxPain>,
    /// Skew from the chain (needs a chain).
    pub skew: Metric<ChainSkew>,
    /// Volatility trap. Present on the nearest expiry only: the `vol_trap` model is trained
    /// for the window to the nearest weekly expiry and forecasts nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trap: Option<Metric<VolTrap>>,
    /// Expiry stress. Present on the nearest expiry only (the `expiry_stress` model's window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stress: Option<Metric<ExpiryStress>>,
}

/// Seller regime labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SellerRegimeLabel {
    /// Calm.
    Calm,
    /// Cautious.
    Cautious,
    /// Hostile.
    Hostile,
}

/// Seller regime tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SellerRegime {
    /// The tag.
    pub label: SellerRegimeLabel,
    /// What led to it.
    pub reasons: Vec<Reason>,
    /// The documented rule.
    pub rule: String,
}

/// Seller daily flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SellerFlagLabel {
    /// Conditions favour selling premium.
    Favourable,
    /// Sell with care.
    Caution,
    /// Avoid selling premium.
    Hostile,
}

/// Seller daily flag with reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SellerFlag {
    /// The flag.
    pub flag: SellerFlagLabel,
    /// Reasons.
    pub reasons: Vec<Reason>,
    /// The documented rule.
    pub rule: String,
}

/// The sellers' block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SellerBlock {
    /// Per expiry, nearest first.
    pub expiries: Vec<SellerExpiry>,
    /// Realized skewness of returns.
    pub realized_skew: Metric<RealizedSkew>,
    /// Seller regime (for the nearest expiry).
    pub regime: Metric<SellerRegime>,
    /// Seller daily flag (for the nearest expiry).
    pub flag: Metric<SellerFlag>,
}

// ───────────────────────────── buyers ─────────────────────────────

/// Probability of a range-expansion day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Breakout {
    /// Days ahead (0 = today).
    pub day_ahead: u32,
    /// The trading date forecast.
    pub date: NaiveDate,
    /// Calibrated probability that true range ≥ 1.5 × ATR(14) of the day before.
    pub probability: f64,
    /// Base rate.
    pub base_rate: f64,
    /// LOW / MEDIUM / HIGH against the base rate.
    pub label: Level3,
    /// Out-of-sample skill.
    pub skill: Skill,
}

/// Spike direction bias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SpikeBias {
    /// P(close up | breakout).
    pub up: f64,
    /// P(close down | breakout).
    pub down: f64,
    /// Base rate of up-closes on breakout days.
    pub base_rate_up: f64,
    /// Out-of-sample skill.
    pub skill: Skill,
}

/// One 30-minute block of the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GammaBlock {
    /// Start, `HH:MM` IST.
    pub start: String,
    /// End, `HH:MM` IST.
    pub end: String,
    /// Mean absolute 5-minute return over the last sessions, relative to the busiest block.
    pub score: f64,
    /// Mean absolute 5-minute log return, basis points.
    pub mean_abs_ret_bp: f64,
    /// Today's mean absolute 5-minute return in this block relative to the profile's busiest block.
    pub today: Option<f64>,
}

/// Gamma burst windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GammaWindows {
    /// The 13 blocks from 09:15 to 15:30.
    pub blocks: Vec<GammaBlock>,
    /// Sessions behind the profile.
    pub sessions: u32,
    /// Index of the busiest block.
    pub peak_block: u32,
}

/// Theta-vs-edge label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThetaEdgeLabel {
    /// Forecast movement does not pay for the premium.
    DontWastePremium,
    /// Close call.
    Borderline,
    /// Forecast movement pays for the premium.
    EdgeJustifiesPremium,
}

/// Theta vs edge for a long ATM straddle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThetaEdge {
    /// Calibrated probability that the straddle is worth more than its cost at the horizon.
    pub probability: f64,
    /// Base rate.
    pub base_rate: f64,
    /// Label.
    pub label: ThetaEdgeLabel,
    /// Horizon, trading days.
    pub horizon_days: u32,
    /// Straddle cost, points.
    pub straddle_cost_pts: f64,
    /// Implied vol used, percent.
    pub iv_pct: f64,
    /// Forecast vol, percent.
    pub forecast_vol_pct: f64,
    /// Gauge position in `[0, 1]`.
    pub gauge: f64,
}

/// Breakout levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BreakoutLevels {
    /// Prior 10-day high (excluding today).
    pub high_10d: f64,
    /// Prior 10-day low.
    pub low_10d: f64,
    /// Today's opening-range high.
    pub or_high: Option<f64>,
    /// Today's opening-range low.
    pub or_low: Option<f64>,
    /// Call-OI wall.
    pub call_wall: Option<f64>,
    /// Put-OI wall.
    pub put_wall: Option<f64>,
    /// Spot.
    pub spot: f64,
}

/// Buyer regime labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BuyerRegimeLabel {
    /// Moves persist.
    TrendFollowing,
    /// Moves revert.
    MeanRevert,
    /// No structure.
    Choppy,
}

/// Buyer regime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BuyerRegime {
    /// The regime.
    pub label: BuyerRegimeLabel,
    /// Variance ratio (5-day, 60-day window).
    pub variance_ratio: f64,
    /// Lag-1 autocorrelation of daily returns (60 days).
    pub autocorr: f64,
    /// ADX(14).
    pub adx: f64,
    /// Thresholds, in words.
    pub rule: String,
}

/// Historical spike hit rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SpikeHitRate {
    /// Share of HIGH-rated days that broke out.
    pub hit_rate: f64,
    /// 95 % Wilson interval low.
    pub ci_low: f64,
    /// 95 % Wilson interval high.
    pub ci_high: f64,
    /// HIGH-rated days.
    pub n_high: u32,
    /// Base rate of breakouts over the same days.
    pub base_rate: f64,
    /// Threshold for HIGH.
    pub high_threshold: f64,
    /// Rolling predicted (mean probability) vs realized frequency.
    pub predicted: Vec<DatePoint>,
    /// Rolling realized frequency.
    pub realized: Vec<DatePoint>,
}

/// Overnight gap risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GapRisk {
    /// Calibrated probability of an overnight gap beyond 1 %.
    pub probability: f64,
    /// Base rate.
    pub base_rate: f64,
    /// Label.
    pub label: Level3,
    /// Out-of-sample skill.
    pub skill: Skill,
}

/// Buyer environment labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BuyerEnvLabel {
    /// Buying premium is justified.
    PremiumFriendly,
    /// Only small speculative positions.
    SpeculativeOnly,
    /// Avoid buying premium.
    Unfavourable,
}

/// Buyer environment with reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BuyerEnvironment {
    /// The label.
    pub label: BuyerEnvLabel,
    /// Reasons.
    pub reasons: Vec<Reason>,
    /// The documented rule.
    pub rule: String,
}

/// The buyers' block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BuyerBlock {
    /// Breakout today (D+0).
    pub breakout_today: Metric<Breakout>,
    /// Breakout D+1 … D+5.
    pub breakout_next: Vec<Metric<Breakout>>,
    /// Spike direction bias.
    pub spike_bias: Metric<SpikeBias>,
    /// Gamma burst windows.
    pub gamma_windows: Metric<GammaWindows>,
    /// Theta vs edge.
    pub theta_edge: Metric<ThetaEdge>,
    /// Breakout levels.
    pub levels: Metric<BreakoutLevels>,
    /// Buyer regime.
    pub regime: Metric<BuyerRegime>,
    /// Historical spike hit rate.
    pub spike_hit_rate: Metric<SpikeHitRate>,
    /// Gap / shock risk.
    pub gap_risk: Metric<GapRisk>,
    /// Buyer environment.
    pub environment: Metric<BuyerEnvironment>,
}
