// The waf: section: rule-set defaults (normalisers, body bytes, engine limits), named lists, the
// block page, the managed challenge, verified bots, the bot score's rate thresholds and the rate limiters' key budget.
#include <string>
#include <vector>

#include "sections.h"

namespace shipgate::config::internal {

void loadWaf(const YNode& n, Config& c, Diags& d) {
  MapView m(n, "waf", d);
  if (!m.isMap()) return;
  WafConfig& w = c.waf;
  w.where = n.where;
  bool enabled = true;
  if (m.getBool("enabled", enabled)) w.enabled = enabled;
  if (const YEntry* e = m.entry("normalize")) {
    std::vector<std::string> names;
    if (!e->value.isNull() && asStringList(e->value, "waf.normalize", d, names)) {
      bool ok = true;
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] != "url_decode" && names[i] != "lower" && names[i] != "compress_whitespace" &&
            names[i] != "strip_comments") {
          const YNode& at = e->value.isSeq() ? e->value.items[i] : e->value;
          d.error(at.where, "waf.normalize: unknown normaliser \"" + names[i] +
                                "\" (url_decode, lower, compress_whitespace, strip_comments)");
          ok = false;
        }
      }
      if (ok) w.normalize = std::move(names);
    } else if (e->value.isNull()) {
      w.normalize.clear();
    }
  }
  m.getSize("body_bytes", 0, w.body_bytes);
  if (const YNode* limits = m.take("limits")) {
    MapView lm(*limits, "waf.limits", d);
    int64_t v = 0;
    if (lm.getInt64("expression_length", 16, 1 << 20, v)) w.max_expression_length = v;
    lm.getInt("nesting", 1, 1024, w.max_nesting_depth);
    if (lm.getInt64("regex_size", 1, 1 << 20, v)) w.max_regex_length = v;
    if (lm.getInt64("set_size", 1, 1 << 20, v)) w.max_set_size = v;
    lm.finish();
  }
  if (const YNode* lists = m.take("lists")) {
    if (!lists->isMap()) {
      d.error(lists->where, std::string("waf.lists: expected a map of name to a list of values, "
                                        "got ") +
                                lists->kindName());
    } else {
      for (const auto& entry : lists->entries) {
        std::vector<std::string> items;
        std::string path = childPath("waf.lists", entry.key);
        if (!validName(entry.key)) {
          d.error(entry.key_where, path + ": list names are letters, digits, '_', '-', '.'");
          continue;
        }
        if (asStringList(entry.value, path, d, items)) w.lists[entry.key] = std::move(items);
      }
    }
  }
  if (const YNode* block = m.take("block")) {
    MapView bm(*block, "waf.block", d);
    if (bm.isMap()) {
      bm.getInt("status", 100, 599, w.block.status);
      bm.getString("content_type", w.block.content_type);
      bm.getString("body", w.block.body);
      bm.finish();
    }
  }
  if (const YNode* ch = m.take("challenge")) {
    MapView cm(*ch, "waf.challenge", d);
    if (cm.isMap()) {
      if (cm.getString("secret", w.challenge_secret) && !w.challenge_secret.empty() &&
          w.challenge_secret.size() < 16) {
        d.error(cm.take("secret")->where, "waf.challenge.secret: must be at least 16 bytes");
      }
      cm.getInt("difficulty_bits", 1, 32, w.challenge_difficulty_bits);
      if (cm.getSeconds("ttl", w.challenge_ttl_s) && w.challenge_ttl_s <= 0) {
        d.error(cm.take("ttl")->where, "waf.challenge.ttl: must be positive");
      }
      cm.finish();
    }
  }
  if (const YNode* bots = m.take("bots")) {
    MapView bm(*bots, "waf.bots", d);
    if (bm.isMap()) {
      if (const YNode* verified = bm.take("verified")) {
        std::vector<WafVerifiedBot> list;
        if (verified->isSeq()) {
          for (size_t i = 0; i < verified->items.size(); ++i) {
            std::string path = itemPath("waf.bots.verified", i);
            MapView vm(verified->items[i], path, d);
            if (!vm.isMap()) continue;
            WafVerifiedBot bot;
            vm.getString("name", bot.name);
            if (!vm.getString("user_agent", bot.user_agent) || bot.user_agent.empty()) {
              d.error(verified->items[i].where, path + ": user_agent (a substring) is required");
            }
            vm.getStringList("cidrs", bot.cidrs);
            vm.finish();
            list.push_back(std::move(bot));
          }
        } else if (!verified->isNull()) {
          d.error(verified->where,
                  std::string("waf.bots.verified: expected a list, got ") + verified->kindName());
        }
        w.verified_bots = std::move(list);
      }
      const int64_t kMaxRate = int64_t{1} << 40;
      bm.getInt64("high_rate_per_minute", 1, kMaxRate, w.bot_high_rate_per_minute);
      bm.getInt64("very_high_rate_per_minute", 1, kMaxRate, w.bot_very_high_rate_per_minute);
      if (w.bot_very_high_rate_per_minute < w.bot_high_rate_per_minute) {
        d.error(bots->where, "waf.bots: very_high_rate_per_minute (" +
                                 std::to_string(w.bot_very_high_rate_per_minute) +
                                 ") is below high_rate_per_minute (" +
                                 std::to_string(w.bot_high_rate_per_minute) + ")");
      }
      bm.finish();
    }
  }
  if (const YNode* rl = m.take("rate_limit")) {
    MapView rm(*rl, "waf.rate_limit", d);
    if (rm.isMap()) {
      int64_t keys = 0;
      if (rm.getInt64("max_keys", 1, int64_t{1} << 32, keys)) w.rate_limit_max_keys = keys;
      if (const YNode* store = rm.take("store")) {
        w.rate_limit_store_where = store->where;
        if (!store->isScalar()) {
          d.error(store->where,
                  "waf.rate_limit.store: expected a URL like "
                  "\"redis://127.0.0.1:6379\", got " +
                      std::string(store->kindName()));
        } else {
          w.rate_limit_store = store->scalar;
        }
      }
      Millis timeout = w.rate_limit_store_timeout;
      if (rm.getDuration("timeout", timeout)) {
        if (timeout.count() < 1 || timeout.count() > 10'000) {
          d.error(rl->where, "waf.rate_limit.timeout: must be between 1ms and 10s, got " +
                                 std::to_string(timeout.count()) + "ms");
        } else {
          w.rate_limit_store_timeout = timeout;
        }
      }
      rm.finish();
    }
  }
  m.finish();
}

}  // namespace shipgate::config::internal
