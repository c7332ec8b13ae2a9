#include "deploy_view.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "admin_client.h"

namespace shipgate::cli {

using nlohmann::json;

namespace {

constexpr const char* kReset = "\x1b[0m";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kCyan = "\x1b[36m";

int64_t ms(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number()) return 0;
  return it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
}

std::string str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// A scalar or a small JSON value, printed plainly.
std::string plain(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    double d = v.get<double>();
    std::snprintf(buf, sizeof buf, std::fabs(d) >= 100 ? "%.0f" : "%.3g", d);
    return buf;
  }
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// evidence {"a": 1, "b": "x"} -> "a=1 b=x" (long values cut; lists and objects left out when
// `scalars_only`).
std::string evidenceLine(const json& evidence, size_t max = 100, bool scalars_only = false) {
  if (!evidence.is_object() || evidence.empty()) return "";
  std::string out;
  for (auto it = evidence.begin(); it != evidence.end(); ++it) {
    if (scalars_only && it.value().is_structured()) continue;
    std::string v = plain(it.value());
    if (v.size() > 40) v = v.substr(0, 37) + "...";
    out += (out.empty() ? "" : " ") + it.key() + "=" + v;
  }
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

const char* stateColor(const std::string& state) {
  if (state == "succeeded") return kGreen;
  if (state == "failed" || state == "rolled_back" || state == "rejected") return kRed;
  if (state == "running" || state == "switching" || state == "baking") return kCyan;
  if (state == "waiting_approval") return kYellow;
  return kDim;
}

const char* stepMark(const std::string& state) {
  if (state == "succeeded") return "\xe2\x9c\x93";  // check mark
  if (state == "failed") return "\xe2\x9c\x97";     // ballot x
  if (state == "running") return "\xe2\x97\x8f";    // black circle
  if (state == "skipped") return "-";
  return "\xe2\x97\x8b";                            // white circle
}

// Cuts a line to `width` visible columns: ANSI sequences take none, a UTF-8 character one.
std::string fit(const std::string& line, int width) {
  if (width <= 0) return line;
  std::string out;
  int cols = 0;
  bool cut = false;
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == 0x1b) {
      size_t end = line.find_first_of("ABCDEFGHJKSTfmsu", i + 1);
      if (end == std::string::npos) end = line.size() - 1;
      out.append(line, i, end - i + 1);
      i = end;
      continue;
    }
    if ((c & 0xc0) != 0x80) {
      if (cols == width - 1 && !cut) {
        cut = true;
      }
      if (cut) continue;
      ++cols;
    } else if (cut) {
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

int terminalWidth() {
  struct winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

}  // namespace

int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string formatDuration(int64_t v) {
  if (v < 0) v = 0;
  char buf[32];
  if (v < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(v));
  } else if (v < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(v) / 1000.0);
  } else if (v < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(v / 60'000),
                  static_cast<long long>(v / 1000 % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(v / 3'600'000),
                  static_cast<long long>(v / 60'000 % 60));
  }
  return buf;
}

std::string clockTime(int64_t at) {
  if (at <= 0) return "--:--:--";
  std::time_t t = static_cast<std::time_t>(at / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string triggerText(const json& v) {
  std::string name = str(v, "metric");
  if (name.empty()) name = str(v, "rule");
  std::string unit = str(v, "unit");
  if (!unit.empty() && unit != "%" && unit.front() != '/') unit = " " + unit;
  const bool has_value = v.contains("value") && !v["value"].is_null();
  std::string out = name + " " + (has_value ? plain(v["value"]) + unit : std::string("no data"));
  if (v.contains("threshold") && !v["threshold"].is_null()) {
    out += " (limit " + plain(v["threshold"]) + unit + ")";
  }
  if (v.value("breaching", false)) {
    out += " BREACHING";
    if (v.contains("breaching_samples") && v.contains("needed")) {
      out += " " + plain(v["breaching_samples"]) + "/" + plain(v["needed"]) + " samples";
    }
  } else {
    out += " ok";
  }
  return out;
}

DeployView::DeployView(ViewMode mode, std::ostream& out) : mode_(mode), out_(out) {}

DeployView::Step& DeployView::stepLocked(int index, const std::string& name) {
  for (auto& s : steps_) {
    if (s.name == name) return s;
  }
  Step s;
  s.name = name;
  s.state = "pending";
  if (index >= 0 && static_cast<size_t>(index) <= steps_.size()) {
    steps_.insert(steps_.begin() + index, s);
    return steps_[static_cast<size_t>(index)];
  }
  steps_.push_back(s);
  return steps_.back();
}

void DeployView::applyDeploymentLocked(const json& d) {
  id_ = str(d, "id");
  app_ = str(d, "app");
  version_ = str(d, "version");
  env_ = str(d, "env");
  kind_ = str(d, "kind");
  to_slot_ = str(d, "to_slot");
  state_ = str(d, "state");
  created_at_ = ms(d, "created_at");
  if (d.contains("steps") && d["steps"].is_array()) {
    steps_.clear();
    for (const auto& s : d["steps"]) {
      Step st;
      st.name = str(s, "name");
      st.state = str(s, "state");
      st.result = str(s, "result");
      st.started_at = ms(s, "started_at");
      st.ended_at = ms(s, "ended_at");
      st.duration_ms = s.contains("duration_ms") && s["duration_ms"].is_number()
                           ? ms(s, "duration_ms")
                           : -1;
      st.evidence = s.value("evidence", json::object());
      steps_.push_back(std::move(st));
    }
  }
  if (state_ != "waiting_approval") hint_.clear();
}

void DeployView::setDeployment(const json& d) {
  MutexLock lock(mu_);
  applyDeploymentLocked(d);
  if (mode_ == ViewMode::kLines) {
    lineLocked(ms(d, "created_at"), kind_ + " " + app_ + " " + version_ + " (" + env_ +
                                        ") to slot " + to_slot_ + ", state " + state_);
  }
}

void DeployView::lineLocked(int64_t at, const std::string& text) {
  out_ << clockTime(at) << " " << id_ << " " << text << "\n";
  out_.flush();
}

void DeployView::onEvent(const json& e) {
  MutexLock lock(mu_);
  if (mode_ == ViewMode::kJson) {
    out_ << e.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    out_.flush();
  }
  const std::string type = str(e, "type");
  const json data = e.value("data", json::object());
  const int64_t at = ms(e, "at");
  std::string line;
  if (type == "step_started") {
    Step& s = stepLocked(static_cast<int>(ms(data, "index")), str(data, "step"));
    s.state = "running";
    s.started_at = at;
    s.ended_at = 0;
    s.duration_ms = -1;
    line = "step " + s.name + " started";
  } else if (type == "step_finished") {
    Step& s = stepLocked(static_cast<int>(ms(data, "index")), str(data, "step"));
    s.state = str(data, "state");
    s.ended_at = at;
    s.duration_ms = data.contains("duration_ms") && data["duration_ms"].is_number()
                        ? ms(data, "duration_ms")
                        : -1;
    s.result = str(data, "result");
    s.evidence = data.value("evidence", json::object());
    line = "step " + s.name + " " + s.state +
           (s.duration_ms >= 0 ? " (" + formatDuration(s.duration_ms) + ")" : "") +
           (s.result.empty() ? "" : ": " + s.result);
    std::string ev = evidenceLine(s.evidence);
    if (!ev.empty()) line += " [" + ev + "]";
  } else if (type == "trigger_values") {
    triggers_ = data;
    line = "triggers (" + str(data, "phase") + ", " + formatDuration(ms(data, "elapsed_ms")) +
           " in, " + formatDuration(ms(data, "remaining_ms")) + " left):";
    for (const auto& v : data.value("values", json::array())) line += " " + triggerText(v) + ";";
    if (!line.empty() && line.back() == ';') line.pop_back();
  } else if (type == "approval_needed") {
    hint_ = "waiting for approval (" + str(data, "env") + "): " + str(data, "approve");
    line = hint_;
  } else if (type == "state") {
    state_ = str(data, "state");
    if (state_ != "waiting_approval") hint_.clear();
    line = "state " + state_;
  } else if (type == "message") {
    note_ = str(data, "text");
    line = note_;
  } else {
    line = type + " " + data.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (mode_ == ViewMode::kLines) lineLocked(at, line);
}

void DeployView::note(const std::string& text) {
  MutexLock lock(mu_);
  if (mode_ == ViewMode::kJson) {
    out_ << json{{"type", "client"}, {"at", nowMillis()}, {"text", text}}.dump() << "\n";
    out_.flush();
  } else if (mode_ == ViewMode::kLines) {
    lineLocked(nowMillis(), text);
  } else {
    note_ = text;
  }
}

std::vector<std::string> DeployView::blockLocked(int64_t now) const {
  std::vector<std::string> lines;
  const int64_t elapsed = created_at_ > 0 ? now - created_at_ : 0;
  lines.push_back(std::string(kBold) + "deployment " + id_ + kReset + "  " + kind_ + " " + app_ +
                  " " + version_ + " -> " + (to_slot_.empty() ? "?" : to_slot_) + " (" + env_ +
                  ")  " + stateColor(state_) + state_ + kReset + "  " +
                  (outcome_.empty() ? formatDuration(elapsed) : ""));
  for (const auto& s : steps_) {
    int64_t d = s.duration_ms;
    if (d < 0 && s.state == "running" && s.started_at > 0) d = now - s.started_at;
    char head[96];
    std::snprintf(head, sizeof head, "  %s%s%s %-10s %8s", stateColor(s.state),
                  stepMark(s.state), kReset, s.name.c_str(),
                  d >= 0 ? formatDuration(d).c_str() : "");
    std::string line = head;
    if (!s.result.empty()) line += "  " + s.result;
    std::string ev = evidenceLine(s.evidence, 70, /*scalars_only=*/true);
    if (!ev.empty()) line += std::string("  ") + kDim + ev + kReset;
    lines.push_back(line);
  }
  if (triggers_.is_object() && (state_ == "baking" || state_ == "switching")) {
    lines.push_back("  triggers (" + str(triggers_, "phase") + ", " +
                    formatDuration(ms(triggers_, "remaining_ms")) + " left):");
    for (const auto& v : triggers_.value("values", json::array())) {
      const bool bad = v.value("breaching", false);
      lines.push_back(std::string("    ") + (bad ? kRed : kDim) + triggerText(v) + kReset);
    }
  }
  if (!hint_.empty()) lines.push_back(std::string("  ") + kYellow + hint_ + kReset);
  if (!note_.empty()) lines.push_back("  " + note_);
  if (!outcome_.empty()) lines.push_back(outcome_);
  return lines;
}

void DeployView::paintLocked() {
  std::vector<std::string> lines = blockLocked(nowMillis());
  std::string out;
  if (painted_lines_ > 0) out += "\x1b[" + std::to_string(painted_lines_) + "F";  // up, col 1
  const int width = terminalWidth();
  for (const auto& l : lines) out += "\x1b[2K" + fit(l, width) + kReset + "\n";
  out += "\x1b[J";  // a taller block before: clear what is left of it below
  painted_lines_ = static_cast<int>(lines.size());
  out_ << out;
  out_.flush();
}

void DeployView::redraw() {
  MutexLock lock(mu_);
  if (mode_ == ViewMode::kTty) paintLocked();
}

void DeployView::finish(const json& d, int exit_code) {
  MutexLock lock(mu_);
  applyDeploymentLocked(d);
  const std::string failure = str(d, "failure");
  std::string outcome;
  if (state_ == "succeeded") {
    outcome = app_ + " " + version_ + " is live on " + to_slot_ + " and healthy";
  } else if (state_ == "rolled_back") {
    outcome = "rolled back";
    const json rb = d.value("rollback", json());
    if (rb.is_object()) outcome += ": " + str(rb, "rule");
    if (!failure.empty()) outcome += " (" + failure + ")";
  } else if (state_ == "rejected") {
    outcome = "rejected" + (failure.empty() ? std::string() : ": " + failure);
  } else if (state_ == "failed") {
    outcome = "failed" + (failure.empty() ? std::string() : ": " + failure);
  } else {
    outcome = "still " + state_ + (failure.empty() ? std::string() : ": " + failure);
  }
  const std::string summary = "deployment " + id_ + " " + outcome;
  if (mode_ == ViewMode::kJson) {
    out_ << json{{"type", "result"}, {"exit_code", exit_code}, {"deployment", d}}.dump(
                -1, ' ', false, json::error_handler_t::replace)
         << "\n";
  } else if (mode_ == ViewMode::kLines) {
    lineLocked(nowMillis(), outcome);
  } else {
    hint_.clear();
    note_.clear();
    outcome_ = std::string(stateColor(state_)) + kBold + summary + kReset;
    paintLocked();
  }
  out_.flush();
}

void printChecklist(const json& d, std::ostream& out) {
  auto when = [](int64_t at) { return at > 0 ? clockTime(at) : std::string("--:--:--"); };
  out << "deployment " << text(d, "id") << ": " << text(d, "kind") << " " << text(d, "app") << " "
      << text(d, "version") << " (" << text(d, "env") << ")\n";
  const std::string prev = text(d, "previous_version");
  out << "  state:    " << text(d, "state") << "\n";
  out << "  slots:    " << text(d, "from_slot") << " -> " << text(d, "to_slot") << "\n";
  out << "  previous: " << (prev.empty() ? "(none: first release)" : prev) << "\n";
  out << "  by:       " << text(d, "actor");
  const std::string reason = text(d, "reason");
  if (!reason.empty()) out << " (" << reason << ")";
  out << "\n";
  const std::string approved = text(d, "approved_by");
  if (!approved.empty()) out << "  approved: " << approved << "\n";
  const int64_t created = number(d, "created_at"), finished = number(d, "finished_at");
  out << "  created:  " << when(created);
  if (finished > 0) out << "  finished: " << when(finished) << " (" << formatDuration(finished - created) << ")";
  out << "\n";
  const std::string failure = text(d, "failure");
  if (!failure.empty()) out << "  failure:  " << failure << "\n";
  const json& rb = member(d, "rollback");
  if (rb.is_object()) {
    out << "  rollback: " << text(rb, "rule") << " at " << when(number(rb, "at")) << " (window "
        << formatDuration(number(rb, "window_ms")) << ")\n";
    for (const auto& v : list(rb, "values")) out << "            " << plain(v) << "\n";
    // Who rolled back and why (manual, emergency), or what an SLA measured.
    if (!text(rb, "actor").empty()) {
      out << "            by " << text(rb, "actor") << ": " << text(rb, "reason") << "\n";
    } else if (list(rb, "values").empty() && !text(rb, "reason").empty()) {
      out << "            " << text(rb, "reason") << "\n";
    }
  }
  const json& baseline = member(d, "baseline");
  if (baseline.is_object() && !baseline.empty()) {
    out << "  baseline: " << evidenceLine(baseline) << "\n";
  }
  out << "\n  " << "STEP        STATE       STARTED   DURATION  DECISION\n";
  for (const auto& s : list(d, "steps")) {
    const int64_t started = number(s, "started_at");
    const json& dur = member(s, "duration_ms");
    char row[160];
    std::snprintf(row, sizeof row, "  %-11s %-11s %-9s %-9s ", text(s, "name").c_str(),
                  text(s, "state").c_str(), started > 0 ? when(started).c_str() : "",
                  dur.is_number() ? formatDuration(number(s, "duration_ms")).c_str() : "");
    out << row << text(s, "result") << "\n";
    const json& evidence = member(s, "evidence");
    if (evidence.is_object()) {
      for (auto it = evidence.begin(); it != evidence.end(); ++it) {
        out << "      " << it.key() << ": "
            << (it.value().is_string() ? it.value().get<std::string>()
                                       : it.value().dump(-1, ' ', false,
                                                         json::error_handler_t::replace))
            << "\n";
      }
    }
  }
}

}  // namespace shipgate::cli
