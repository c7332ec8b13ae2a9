// The rollback trigger wording parser (see the grammar in watch/triggers.h): a small lexer and a
// recursive-descent parser whose every error names the offending word's byte offset.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/strings.h"
#include "shipgate/watch/triggers.h"
#include "trigger_text.h"

namespace shipgate::watch {
namespace {

struct Token {
  enum class Kind { kWord, kNumber, kSymbol, kEnd };
  Kind kind = Kind::kEnd;
  std::string_view text;  // as written
  std::string lower;      // words: lower case
  size_t offset = 0;
  double number = 0;      // kNumber
};

// v * factor without the binary floating-point residue ("1.1 s" is 1100ms, not
// 1100.0000000000002ms): rounded to 9 significant decimals.
double cleanProduct(double v, double factor) {
  double p = v * factor;
  if (p == 0 || !std::isfinite(p)) return p;
  double scale = std::pow(10.0, 9 - static_cast<int>(std::ceil(std::log10(std::fabs(p)))));
  double rounded = std::round(p * scale) / scale;
  return std::isfinite(rounded) ? rounded : p;
}

bool isAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Splits `text` into tokens; false with `error` on a character no token starts with.
bool lex(std::string_view text, std::vector<Token>& out, WordingError& error) {
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    Token t;
    t.offset = i;
    size_t start = i;
    if (isAlpha(c)) {
      while (i < text.size() && isAlpha(text[i])) ++i;
      // "p95", "p99.9": a percentile is one word.
      if (i - start == 1 && (c == 'p' || c == 'P') && i < text.size() && isDigit(text[i])) {
        while (i < text.size() && isDigit(text[i])) ++i;
        if (i + 1 < text.size() && text[i] == '.' && isDigit(text[i + 1])) {
          ++i;
          while (i < text.size() && isDigit(text[i])) ++i;
        }
      }
      t.kind = Token::Kind::kWord;
      t.text = text.substr(start, i - start);
      t.lower = asciiLowerCopy(t.text);
    } else if (isDigit(c)) {
      while (i < text.size() && isDigit(text[i])) ++i;
      if (i + 1 < text.size() && text[i] == '.' && isDigit(text[i + 1])) {
        ++i;
        while (i < text.size() && isDigit(text[i])) ++i;
      }
      t.kind = Token::Kind::kNumber;
      t.text = text.substr(start, i - start);
      auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.number);
      if (ec != std::errc() || !std::isfinite(t.number)) {
        error = {start, "\"" + std::string(t.text) + "\" is not a number this parser can read"};
        return false;
      }
    } else if (c == '>' || c == '<') {
      i += (i + 1 < text.size() && text[i + 1] == '=') ? 2 : 1;
      t.kind = Token::Kind::kSymbol;
      t.text = text.substr(start, i - start);
    } else if (c == '%' || c == '/' || c == '(' || c == ')' || c == ',' || c == ':') {
      ++i;
      t.kind = Token::Kind::kSymbol;
      t.text = text.substr(start, 1);
    } else {
      std::string shown;
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
        shown = buf;
      } else {
        shown = std::string(1, c);
      }
      const char* quote = c == '"' ? "'" : "\"";
      error = {start, std::string("unexpected character ") + quote + shown + quote};
      return false;
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.offset = text.size();
  out.push_back(end);
  return true;
}

struct MetricPhrase {
  TriggerMetric metric;
  std::vector<std::string_view> words;
};

const std::vector<MetricPhrase>& metricPhrases() {
  using M = TriggerMetric;
  static const std::vector<MetricPhrase> kPhrases = {
      {M::kErrorRate, {"error", "rate"}},
      {M::kErrorRate, {"error_rate"}},
      {M::kLatency, {"response", "time"}},
      {M::kLatency, {"response", "times"}},
      {M::kLatency, {"response_time"}},
      {M::kLatency, {"latency"}},
      {M::kHealthFailures, {"health", "check", "failures"}},
      {M::kHealthFailures, {"health", "check", "failure"}},
      {M::kHealthFailures, {"failed", "health", "checks"}},
      {M::kHealthFailures, {"health", "failures"}},
      {M::kHealthFailures, {"health_failures"}},
      {M::kWafBlocks, {"waf", "blocked", "requests"}},
      {M::kWafBlocks, {"waf", "blocking"}},
      {M::kWafBlocks, {"waf", "blocks"}},
      {M::kWafBlocks, {"waf", "blocked"}},
      {M::kWafBlocks, {"waf_blocks"}},
  };
  return kPhrases;
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, WordingError& error)
      : text_(text), toks_(std::move(tokens)), error_(error) {}

  bool parse(TriggerSpec& out);
  // Only a threshold ("5%", "800ms", "200% of baseline", "1000/min"), for spec.metric.
  bool parseThresholdOnly(TriggerSpec& out);

 private:
  const Token& peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token& next() {
    const Token& t = peek();
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool atEnd() const { return peek().kind == Token::Kind::kEnd; }
  bool isWord(const Token& t, std::initializer_list<std::string_view> words) const {
    if (t.kind != Token::Kind::kWord) return false;
    return std::find(words.begin(), words.end(), t.lower) != words.end();
  }
  bool acceptWord(std::initializer_list<std::string_view> words) {
    if (!isWord(peek(), words)) return false;
    next();
    return true;
  }
  bool isSymbol(const Token& t, std::string_view s) const {
    return t.kind == Token::Kind::kSymbol && t.text == s;
  }
  bool acceptSymbol(std::string_view s) {
    if (!isSymbol(peek(), s)) return false;
    next();
    return true;
  }
  static std::string shown(const Token& t) {
    if (t.kind == Token::Kind::kEnd) return "the end of the text";
    return "\"" + std::string(t.text) + "\"";
  }
  // The text from token `from` up to (not including) the current token, as written.
  std::string spanText(size_t from) const {
    size_t begin = toks_[from].offset;
    const Token& last = toks_[pos_ > from ? pos_ - 1 : from];
    return std::string(text_.substr(begin, last.offset + last.text.size() - begin));
  }
  bool fail(const Token& at, std::string message) {
    error_ = {at.offset, std::move(message)};
    return false;
  }
  bool expected(const std::string& what, const std::string& after) {
    const Token& t = peek();
    return fail(t, "expected " + what + " after \"" + after + "\", got " + shown(t));
  }

  bool parseRule(TriggerSpec& out, bool security_alert);
  bool parseMetric(TriggerSpec& out, std::string& phrase);
  bool parsePercentile(TriggerSpec& out);
  bool parseComparison(TriggerSpec& out, const std::string& after);
  bool parseValue(TriggerSpec& out, const std::string& after, bool bare_ok);
  bool parseDuration(Millis& out, const std::string& after);
  bool parseWindow(TriggerSpec& out);
  bool parseOptions(TriggerSpec& out);

  std::string_view text_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  WordingError& error_;
};

bool Parser::parse(TriggerSpec& out) {
  TriggerSpec spec;
  bool security_alert = false;
  if (isWord(peek(), {"security"}) && isWord(peek(1), {"alert"})) {
    next();
    next();
    security_alert = true;
    if (!acceptSymbol("(")) return expected("\"(\" and the WAF rule", "Security alert");
  }
  if (!parseRule(spec, security_alert)) return false;
  if (security_alert && !acceptSymbol(")")) {
    return fail(peek(), "expected \")\" to close \"Security alert (\", got " + shown(peek()));
  }
  if (isSymbol(peek(), "(") && !parseOptions(spec)) return false;
  if (!atEnd()) {
    std::string what = spec.window.count() > 0 || security_alert ||
                               spec.metric == TriggerMetric::kWafBlocks
                           ? "the end of the rule or \"(\" options"
                           : "\"for\" and a duration (e.g. for 5 minutes), or the end of the rule";
    return fail(peek(), "unexpected " + shown(peek()) + ": expected " + what);
  }
  std::string problem = checkSpec(spec);
  if (!problem.empty()) return fail(toks_.front(), problem);
  out = std::move(spec);
  return true;
}

bool Parser::parseThresholdOnly(TriggerSpec& out) {
  TriggerSpec spec = out;
  if (!parseValue(spec, "", /*bare_ok=*/true)) return false;
  if (!atEnd()) return fail(peek(), "unexpected " + shown(peek()) + " after the threshold");
  out = std::move(spec);
  return true;
}

bool Parser::parseRule(TriggerSpec& out, bool security_alert) {
  size_t start = pos_;
  bool has_percentile = false;
  const Token& first = peek();
  if (first.kind == Token::Kind::kWord && first.lower.size() > 1 && first.lower[0] == 'p' &&
      isDigit(first.lower[1])) {
    if (!parsePercentile(out)) return false;
    has_percentile = true;
  }
  std::string phrase;
  size_t metric_at = pos_;
  if (!parseMetric(out, phrase)) return false;
  if (security_alert && out.metric != TriggerMetric::kWafBlocks) {
    return fail(toks_[metric_at], "a security alert watches WAF blocking (e.g. \"Security alert "
                                  "(WAF blocking > 1000 requests/minute)\")");
  }
  if (!has_percentile && peek().kind == Token::Kind::kWord && peek().lower.size() > 1 &&
      peek().lower[0] == 'p' && isDigit(peek().lower[1])) {
    if (!parsePercentile(out)) return false;
    has_percentile = true;
  }
  if (has_percentile && out.metric != TriggerMetric::kLatency) {
    return fail(toks_[start], "a percentile applies to response time (latency) only");
  }
  std::string after = spanText(start);
  if (!parseComparison(out, after)) return false;
  if (!parseValue(out, std::string(toks_[pos_ - 1].text), /*bare_ok=*/false)) return false;
  out.min_requests = usesMinRequests(out.metric) ? 10 : 0;
  if (out.metric == TriggerMetric::kWafBlocks) out.window = Millis{60'000};
  if (isWord(peek(), {"for", "over"}) && !parseWindow(out)) return false;
  return true;
}

bool Parser::parsePercentile(TriggerSpec& out) {
  const Token& t = next();
  double p = 0;
  std::string_view digits = std::string_view(t.lower).substr(1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || p <= 0 || p >= 100) {
    return fail(t, "a percentile is between 0 and 100 (exclusive), e.g. p95");
  }
  out.percentile = p;
  return true;
}

bool Parser::parseMetric(TriggerSpec& out, std::string& phrase) {
  const MetricPhrase* best = nullptr;
  for (const auto& mp : metricPhrases()) {
    bool match = true;
    for (size_t k = 0; k < mp.words.size() && match; ++k) {
      const Token& t = peek(k);
      match = t.kind == Token::Kind::kWord && t.lower == mp.words[k];
    }
    if (match && (best == nullptr || mp.words.size() > best->words.size())) best = &mp;
  }
  if (best == nullptr) {
    return fail(peek(), "expected a metric (error rate, response time, latency, health check "
                        "failures, WAF blocking), got " +
                            shown(peek()));
  }
  size_t start = pos_;
  for (size_t k = 0; k < best->words.size(); ++k) next();
  out.metric = best->metric;
  phrase = spanText(start);
  return true;
}

bool Parser::parseComparison(TriggerSpec& out, const std::string& after) {
  const Token& t = peek();
  if (t.kind == Token::Kind::kSymbol) {
    if (t.text == ">") out.comparison = Comparison::kAbove;
    if (t.text == ">=") out.comparison = Comparison::kAtLeast;
    if (t.text == "<") out.comparison = Comparison::kBelow;
    if (t.text == "<=") out.comparison = Comparison::kAtMost;
    if (t.text == ">" || t.text == ">=" || t.text == "<" || t.text == "<=") {
      next();
      return true;
    }
  }
  if (isWord(t, {"above", "exceeds"})) {
    out.comparison = Comparison::kAbove;
    next();
    return true;
  }
  if (isWord(t, {"below"})) {
    out.comparison = Comparison::kBelow;
    next();
    return true;
  }
  return expected("a comparison (>, >=, <, <=)", after);
}

bool Parser::parseValue(TriggerSpec& out, const std::string& after, bool bare_ok) {
  const Token& num = peek();
  if (num.kind != Token::Kind::kNumber) {
    if (after.empty()) return fail(num, "expected a number, got " + shown(num));
    return expected("a number", after);
  }
  next();
  double v = num.number;
  std::string written(num.text);
  switch (out.metric) {
    case TriggerMetric::kErrorRate:
      if (!acceptSymbol("%")) {
        return fail(peek(), "expected \"%\" after " + written +
                                " (an error rate is a percentage of requests), got " +
                                shown(peek()));
      }
      if (v > 100) return fail(num, "an error rate is a percentage from 0 to 100");
      out.threshold = v;
      return true;
    case TriggerMetric::kLatency: {
      if (acceptSymbol("%")) {
        acceptWord({"of"});
        acceptWord({"the"});
        if (!acceptWord({"baseline"})) {
          return fail(peek(), "expected \"of baseline\" after " + written +
                                  "% (a latency percentage is relative to the baseline), got " +
                                  shown(peek()));
        }
        out.baseline = true;
        out.threshold = v;
      } else if (isWord(peek(), {"x", "times"})) {
        next();
        acceptWord({"the"});
        if (!acceptWord({"baseline"})) {
          return fail(peek(), "expected \"baseline\" after " + written + "x, got " + shown(peek()));
        }
        out.baseline = true;
        out.threshold = cleanProduct(v, 100);
      } else if (isWord(peek(), {"ms", "millisecond", "milliseconds"})) {
        next();
        out.threshold = v;
      } else if (isWord(peek(), {"s", "sec", "secs", "second", "seconds"})) {
        next();
        out.threshold = cleanProduct(v, 1000);
      } else if (bare_ok && (atEnd() || isWord(peek(), {"for", "over"}))) {
        out.threshold = v;
      } else {
        return fail(peek(), "expected ms, s or \"% of baseline\" after " + written + ", got " +
                                shown(peek()));
      }
      if (out.baseline ? out.threshold > kMaxBaselinePercent : out.threshold > kMaxLatencyMs) {
        return fail(num, out.baseline ? "a baseline percentage is at most 100000%"
                                      : "a latency threshold is at most 1h (3600000ms)");
      }
      return true;
    }
    case TriggerMetric::kHealthFailures:
      if (v != std::floor(v) || v > kMaxCount) {
        return fail(num, "health check failures are a whole number, got " + written);
      }
      out.threshold = v;
      acceptWord({"consecutive"});
      acceptWord({"failures", "failure", "checks", "times"});
      return true;
    case TriggerMetric::kWafBlocks: {
      if (v > kMaxWafRate) return fail(num, "a WAF block rate is at most 1000000000000");
      out.threshold = v;
      acceptWord({"requests", "request", "blocks", "blocked", "req"});
      bool per = acceptSymbol("/") || acceptWord({"per", "a"});
      if (per && isWord(peek(), {"second", "sec", "s"})) {
        next();
        out.rate_per = Millis{1'000};
        return true;
      }
      if (per && isWord(peek(), {"minute", "min", "m"})) {
        next();
        out.rate_per = Millis{60'000};
        return true;
      }
      if (!per && bare_ok && atEnd()) {
        out.rate_per = Millis{60'000};
        return true;
      }
      if (per) {
        return fail(peek(), "expected minute or second after \"/\" or \"per\", got " +
                                shown(peek()));
      }
      return fail(peek(), "expected a rate such as " + written + " requests/minute or " + written +
                              " per second, got " + shown(peek()));
    }
  }
  return false;
}

bool Parser::parseDuration(Millis& out, const std::string& after) {
  double total = 0;
  bool any = false;
  const Token& first = peek();
  while (peek().kind == Token::Kind::kNumber) {
    const Token& num = next();
    double unit = 0;
    const Token& u = peek();
    if (isWord(u, {"ms", "millisecond", "milliseconds"})) {
      unit = 1;
    } else if (isWord(u, {"s", "sec", "secs", "second", "seconds"})) {
      unit = 1e3;
    } else if (isWord(u, {"m", "min", "mins", "minute", "minutes"})) {
      unit = 60e3;
    } else if (isWord(u, {"h", "hr", "hrs", "hour", "hours"})) {
      unit = 3600e3;
    } else {
      return fail(u, "expected a unit (seconds, minutes, hours) after " + std::string(num.text) +
                         ", got " + shown(u));
    }
    next();
    total += num.number * unit;
    any = true;
    if (total > static_cast<double>(kMaxWindow.count())) {
      return fail(first, "a window is at most 24h");
    }
  }
  if (!any) return expected("a duration (e.g. 5 minutes)", after);
  // "0.1 hours" is 360000.00000000006 in binary floating point.
  if (std::fabs(total - std::round(total)) < 1e-6) total = std::round(total);
  if (total != std::floor(total)) return fail(first, "a window is a whole number of milliseconds");
  out = Millis{static_cast<int64_t>(total)};
  return true;
}

bool Parser::parseWindow(TriggerSpec& out) {
  const Token& kw = next();
  std::string after(kw.text);
  if (kw.lower == "over" && isWord(peek(), {"the"}) && isWord(peek(1), {"last"})) {
    next();
    after = "last";
    next();
  }
  const Token& first = peek();
  if (!parseDuration(out.window, after)) return false;
  if (out.window.count() <= 0) return fail(first, "a window must be longer than 0");
  if (out.window.count() % out.sample.count() != 0) {
    return fail(first, "the window " + formatDuration(out.window) + " is not a whole number of " +
                           formatDuration(out.sample) + " samples");
  }
  return true;
}

// "(1s samples, min 10 requests, no data: ok)": the options describe() prints.
bool Parser::parseOptions(TriggerSpec& out) {
  next();  // "("
  bool seen_sample = false, seen_min = false, seen_no_data = false;
  while (true) {
    const Token& start = peek();
    if (start.kind == Token::Kind::kNumber) {
      if (seen_sample) return fail(start, "the sample interval is given twice");
      Millis sample{0};
      if (!parseDuration(sample, "(")) return false;
      if (!acceptWord({"samples", "sample"})) {
        return fail(peek(), "expected \"samples\" after the sample interval, got " + shown(peek()));
      }
      if (sample < kMinSample || sample > kMaxSample || sample.count() % 1000 != 0) {
        return fail(start, "the sample interval must be a whole number of seconds from 1s to 1h");
      }
      out.sample = sample;
      seen_sample = true;
    } else if (isWord(start, {"min"})) {
      if (seen_min) return fail(start, "min requests is given twice");
      if (!usesMinRequests(out.metric)) {
        return fail(start, "min requests applies to error rate and latency only");
      }
      next();
      const Token& num = peek();
      if (num.kind != Token::Kind::kNumber || num.number != std::floor(num.number) ||
          num.number > kMaxCount) {
        return fail(num, "expected a whole number of requests after \"min\", got " + shown(num));
      }
      next();
      if (!acceptWord({"requests", "request"})) {
        return fail(peek(), "expected \"requests\" after " + std::string(num.text) + ", got " +
                                shown(peek()));
      }
      out.min_requests = static_cast<int64_t>(num.number);
      seen_min = true;
    } else if (isWord(start, {"no"}) && isWord(peek(1), {"data"})) {
      if (seen_no_data) return fail(start, "no data is given twice");
      next();
      next();
      acceptSymbol(":");
      if (acceptWord({"ok"})) {
        out.no_data = NoDataPolicy::kOk;
      } else if (acceptWord({"breach"})) {
        out.no_data = NoDataPolicy::kBreach;
      } else if (acceptWord({"hold"})) {
        out.no_data = NoDataPolicy::kHold;
      } else {
        return fail(peek(), "expected ok, breach or hold after \"no data:\", got " + shown(peek()));
      }
      seen_no_data = true;
    } else {
      return fail(start, "expected an option (\"1s samples\", \"min 10 requests\", \"no data: "
                         "ok|breach|hold\"), got " +
                             shown(start));
    }
    if (acceptSymbol(")")) break;
    if (!acceptSymbol(",")) {
      return fail(peek(), "expected \",\" or \")\" after an option, got " + shown(peek()));
    }
  }
  // The window was checked against the default interval; check it against this one.
  if (out.window.count() % out.sample.count() != 0) {
    return fail(toks_.front(), "the window " + formatDuration(out.window) +
                                   " is not a whole number of " + formatDuration(out.sample) +
                                   " samples");
  }
  return true;
}

}  // namespace

bool parseTriggerWording(std::string_view text, TriggerSpec& out, WordingError& error) {
  if (text.size() > kMaxWordingBytes) {
    error = {0, "the rule is too long (" + std::to_string(text.size()) + " bytes; at most " +
                    std::to_string(kMaxWordingBytes) + ")"};
    return false;
  }
  std::vector<Token> tokens;
  if (!lex(text, tokens, error)) return false;
  Parser p(text, std::move(tokens), error);
  TriggerSpec spec;
  if (!p.parse(spec)) return false;
  spec.wording = std::string(text);
  out = std::move(spec);
  return true;
}

bool parseThresholdText(std::string_view text, TriggerSpec& spec, WordingError& error) {
  if (text.size() > kMaxWordingBytes) {
    error = {0, "the threshold is too long"};
    return false;
  }
  std::vector<Token> tokens;
  if (!lex(text, tokens, error)) return false;
  Parser p(text, std::move(tokens), error);
  return p.parseThresholdOnly(spec);
}

}  // namespace shipgate::watch
