// A deterministic corpus of ordinary (benign) API and form traffic for measuring a WAF's false
// positives. Built from texts on this machine (/usr/share/common-licenses/*, the first
// /usr/share/doc/*/copyright files in name order) and fixed lists, chosen by a seeded
// std::mt19937_64, so a seed and the same machine give the same requests.
//
// Kinds of request (each a complete HTTP/1.1 request with a browser's headers, Host first):
//   search   GET /api/search?q=<words with SQL words: select, update, union, order by, drop ...>
//   people   GET /api/people?name=O'Reilly&city=...   (quotes in names)
//   docs     GET /docs/view?path=/usr/share/doc/<pkg>/copyright&lang=en
//   json     POST /api/comments  {"author":..., "body": <prose>, "tags": [...]}
//   form     POST /contact  name, email, address, message (urlencoded)
//   code     POST /api/snippets  {"title":..., "text": code-like prose: "use a for loop; x = y + 1"}
//   static   GET /static/<file>.css|.js|.png?v=<n>
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace benign {

struct Request {
  std::string kind;   // "search", "json", ...
  std::string bytes;  // the complete request
};

// `host` goes into the Host header. Fails (empty result, error set) when no source text exists.
std::vector<Request> generate(uint64_t seed, size_t count, const std::string& host,
                              std::string* error);

}  // namespace benign
