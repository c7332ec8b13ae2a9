// The waf: section: rule-set defaults (normalisers, body bytes, engine limits), named lists, the
// block page, the managed challenge, verified bots, the bot score's rate thresholds, the rate
// limiters' key budget, the managed rules (managed_rules.crs) and mask_upstream_errors.
#include <string>
#include <vector>

#include "sections.h"

namespace shipgate::config::internal {

namespace {

// waf.managed_rules: {crs: {...}}.
void loadManagedRules(const YNode& n, WafConfig& w, Diags& d) {
  MapView mm(n, "waf.managed_rules", d);
  if (!mm.isMap()) return;
  if (const YNode* crs = mm.take("crs")) {
    MapView cm(*crs, "waf.managed_rules.crs", d);
    if (cm.isMap()) {
      WafCrsConfig c;
      c.where = crs->where;
      cm.getInt("paranoia_level", 1, 4, c.paranoia_level);
      cm.getInt("inbound_threshold", 1, 100000, c.inbound_threshold);
      cm.getBool("confirm_matches", c.confirm_matches);
      int action = 0;
      if (cm.getChoice("action", {"block", "log"}, action)) {
        c.action = action == 0 ? CrsAction::kBlock : CrsAction::kLog;
      }
      cm.getPath("rules_dir", c.rules_dir);
      cm.getPath("setup_file", c.setup_file);
      if (cm.getSize("body_bytes", 0, c.body_bytes) && c.body_bytes > (size_t{64} << 20)) {
        d.error(cm.take("body_bytes")->where, "waf.managed_rules.crs.body_bytes: at most 64MiB");
      }
      if (const YNode* ex = cm.take("exclusions")) {
        if (ex->isSeq()) {
          for (size_t i = 0; i < ex->items.size(); ++i) {
            const YNode& item = ex->items[i];
            std::string path = itemPath("waf.managed_rules.crs.exclusions", i);
            MapView em(item, path, d);
            if (!em.isMap()) continue;
            WafCrsExclusion e;
            e.where = item.where;
            int kinds = 0;
            if (const YNode* id = em.take("id")) {
              ++kinds;
              e.ids_where = id->where;
              if (!id->isScalar()) {
                d.error(id->where, path + ".id: expected a rule id such as 942100, got " +
                                       std::string(id->kindName()));
              } else {
                e.ids = id->scalar;
              }
            }
            if (const YNode* ids = em.take("ids")) {
              ++kinds;
              e.ids_where = ids->where;
              if (!ids->isScalar()) {
                d.error(ids->where, path + ".ids: expected rule ids such as \"942100-942199\", got " +
                                        std::string(ids->kindName()));
              } else {
                e.ids = ids->scalar;
              }
            }
            if (const YNode* tag = em.take("tag")) {
              ++kinds;
              if (!tag->isScalar() || tag->scalar.empty()) {
                d.error(tag->where, path + ".tag: expected a tag such as attack-sqli");
              } else {
                e.tag = tag->scalar;
              }
            }
            if (kinds != 1) {
              d.error(item.where, path + ": needs exactly one of id, ids or tag" +
                                      std::string(kinds == 0 ? "" : " (found several)"));
            }
            if (const YNode* targets = em.take("targets")) {
              if (asStringList(*targets, path + ".targets", d, e.targets)) {
                for (size_t t = 0; t < e.targets.size(); ++t) {
                  e.targets_where.push_back(targets->isSeq() ? targets->items[t].where
                                                             : targets->where);
                }
              }
            }
            em.finish();
            c.exclusions.push_back(std::move(e));
          }
        } else if (!ex->isNull()) {
          d.error(ex->where, std::string("waf.managed_rules.crs.exclusions: expected a list, got ") +
                                 ex->kindName());
        }
      }
      cm.finish();
      w.crs = std::move(c);
    }
  }
  mm.finish();
}

}  // namespace

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
  if (const YNode* managed = m.take("managed_rules")) loadManagedRules(*managed, w, d);
  m.getBool("mask_upstream_errors", w.mask_upstream_errors);
  m.finish();
}

}  // namespace shipgate::config::internal
