// server:, listeners: and admin: sections, plus the small helpers every section uses.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "sections.h"

namespace shipgate::config::internal {

namespace {

void requirePositive(const YNode* n, const std::string& path, Millis value, Diags& d) {
  if (n != nullptr && value.count() <= 0) d.error(n->where, path + ": must be greater than 0");
}

void loadLimits(const YNode& n, Limits& l, Diags& d) {
  MapView m(n, "server.limits", d);
  m.getSize("max_header_bytes", 256, l.max_header_bytes);
  m.getSize("max_body_bytes", 0, l.max_body_bytes);
  m.getSize("response_buffer_bytes", 4096, l.response_buffer_bytes);
  const char* timeouts[] = {"header_timeout", "body_timeout", "idle_timeout", "drain_timeout",
                            "first_byte_timeout", "send_timeout"};
  Millis* fields[] = {&l.header_timeout, &l.body_timeout, &l.idle_timeout, &l.drain_timeout,
                      &l.first_byte_timeout, &l.send_timeout};
  for (int i = 0; i < 6; ++i) {
    if (m.getDuration(timeouts[i], *fields[i])) {
      requirePositive(m.take(timeouts[i]), m.sub(timeouts[i]), *fields[i], d);
    }
  }
  int64_t max_conn = 0;
  l.where = n.where;
  if (m.getInt64("max_connections", 1, 10'000'000, max_conn)) {
    l.max_connections = static_cast<size_t>(max_conn);
    l.where = m.take("max_connections")->where;
  }
  int64_t per_ip = 0;
  if (m.getInt64("max_connections_per_ip", 0, 10'000'000, per_ip)) {
    l.max_connections_per_ip = static_cast<size_t>(per_ip);
  }
  m.finish();
}

void loadLog(const YNode& n, LogConfig& l, Diags& d) {
  MapView m(n, "server.log", d);
  m.getBool("access_log", l.access_log);
  for (auto [key, field] : {std::pair{"access_log_path", &l.access_log_path},
                            std::pair{"error_log_path", &l.error_log_path}}) {
    std::string s;
    if (m.getString(key, s)) *field = s.empty() ? s : resolvePath(*m.take(key), s);
  }
  // In LogLevel's order.
  int level = 0;
  if (m.getChoice("level", {"debug", "info", "warn", "error"}, level)) {
    l.level = static_cast<LogLevel>(level);
  }
  m.finish();
}

}  // namespace

void loadServer(const YNode& n, Config& c, Diags& d) {
  MapView m(n, "server", d);
  ServerConfig& s = c.server;
  if (const YNode* w = m.take("workers")) {
    if (w->isScalar() && w->scalar == "auto") {
      s.workers = 0;
    } else {
      int64_t v = 0;
      if (asInt(*w, "server.workers", d, 0, 1024, v)) s.workers = static_cast<int>(v);
    }
  }
  if (m.getString("user", s.user) && s.user.find_first_of(" \t:/") != std::string::npos) {
    d.error(m.take("user")->where, "server.user: \"" + s.user + "\" is not a valid user name");
  }
  m.getBool("allow_root", s.allow_root);
  s.limits.where = n.where;
  if (const YNode* l = m.take("limits")) loadLimits(*l, s.limits, d);
  if (const YNode* l = m.take("log")) loadLog(*l, s.log, d);
  m.finish();
}

void loadListeners(const YNode& n, Config& c, Diags& d) {
  if (!n.isSeq()) {
    d.error(n.where, std::string("listeners: expected a list of listeners, got ") + n.kindName());
    return;
  }
  for (size_t i = 0; i < n.items.size(); ++i) {
    const YNode& item = n.items[i];
    std::string path = itemPath("listeners", i);
    MapView m(item, path, d);
    if (!m.isMap()) continue;
    ListenerConfig l;
    l.where = item.where;
    l.name = "listener-" + std::to_string(i);
    if (m.getString("name", l.name) && !validName(l.name)) {
      d.error(m.take("name")->where,
              path + ".name: \"" + l.name + "\" is not a valid name (letters, digits, - _ .)");
    }
    if (!m.getAddress("address", l.address) && m.take("address") == nullptr) {
      d.error(item.where, path + ": address is required (e.g. \"127.0.0.1:8080\")");
    }
    if (const YNode* tls = m.take("tls")) {
      std::vector<const YNode*> certs;
      if (tls->isMap()) {
        certs.push_back(tls);
      } else if (tls->isSeq()) {
        for (const auto& t : tls->items) certs.push_back(&t);
      } else {
        d.error(tls->where, path + ".tls: expected a list of {cert, key}, got " + tls->kindName());
      }
      for (size_t j = 0; j < certs.size(); ++j) {
        std::string tpath = tls->isSeq() ? itemPath(path + ".tls", j) : path + ".tls";
        MapView tm(*certs[j], tpath, d);
        if (!tm.isMap()) continue;
        TlsCertificate cert;
        bool has_cert = tm.getPath("cert", cert.cert_file);
        bool has_key = tm.getPath("key", cert.key_file);
        if (tm.take("cert") == nullptr) d.error(certs[j]->where, tpath + ": cert is required");
        if (tm.take("key") == nullptr) d.error(certs[j]->where, tpath + ": key is required");
        if (has_cert) warnIfMissing(tm.take("cert")->where, "certificate", cert.cert_file, d);
        if (has_key) warnIfMissing(tm.take("key")->where, "key file", cert.key_file, d);
        tm.finish();
        l.tls.push_back(std::move(cert));
      }
    }
    m.finish();
    for (const auto& other : c.listeners) {
      if (other.name == l.name) {
        d.error(item.where, path + ": duplicate listener name \"" + l.name + "\" (first at " +
                                other.where.toString() + ")");
      }
      if (l.address.port != 0 && other.address.port == l.address.port &&
          other.address.host == l.address.host) {
        d.error(item.where, path + ": address " + l.address.toString() +
                                " is already used by listener \"" + other.name + "\"");
      }
    }
    c.listeners.push_back(std::move(l));
  }
}

void loadAdmin(const YNode* n, Config& c, Diags& d) {
  AdminConfig& a = c.admin;
  if (n == nullptr) {
    // No admin block: the admin API is off (it cannot work without a token file anyway).
    a.enabled = false;
    return;
  }
  a.where = n->where;
  MapView m(*n, "admin", d);
  m.getBool("enabled", a.enabled);
  m.getAddress("address", a.address);
  bool has_token = m.getPath("token_file", a.token_file);
  if (a.enabled && m.take("token_file") == nullptr) {
    d.error(n->where,
            "admin: token_file is required when the admin API is enabled (every call "
            "needs the bearer token it holds); or set enabled: false");
  }
  if (a.enabled && has_token) {
    warnIfMissing(m.take("token_file")->where, "admin token file", a.token_file, d);
  }
  if (a.enabled) {
    const YNode* addr = m.take("address");
    Location where = addr != nullptr ? addr->where : n->where;
    for (const auto& l : c.listeners) {
      if (a.address.port != 0 && l.address.port == a.address.port &&
          (l.address.host == a.address.host || l.address.host == "*" || a.address.host == "*")) {
        d.error(where, "admin.address: " + a.address.toString() + " collides with listener \"" +
                           l.name + "\" (" + l.address.toString() + ")");
      }
    }
    const std::string& h = a.address.host;
    bool loopback = h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
    if (!loopback) {
      d.warning(where, "admin.address: the admin API listens on a non-loopback address (" +
                           a.address.toString() + "); keep it behind a firewall");
    }
  }
  m.finish();
}

}  // namespace shipgate::config::internal
