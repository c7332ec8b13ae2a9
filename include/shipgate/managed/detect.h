// @detectSQLi and @detectXSS: our own tokenizer-based detectors (libinjection is not packaged in
// Debian). detectSqli() tokenizes the input as SQL in each quoting context an injection can start
// in (none, after ', after "), folds the token stream to a short fingerprint ("s&sos", "1UE"...)
// and looks the fingerprint up in a set of known injection shapes. detectXss() tokenizes the input
// as HTML (text, tags, attributes, comments, in the contexts an injection can start in) and flags
// script tags, event-handler attributes, javascript:/vbscript:/data: URLs in URL-valued
// attributes, and the other dangerous constructs listed in detect_xss.cc.
//
// Pure functions, no state, thread-safe, linear in the input (no backtracking). Inputs are the
// already-transformed values (the CRS applies t:urlDecodeUni etc. before these operators).
#pragma once

#include <string>
#include <string_view>

namespace shipgate::managed {

// True when `input` looks like an SQL injection. `fingerprint`, when given, receives the
// fingerprint that matched (empty when none), for the log's matched-data (CRS logs it).
bool detectSqli(std::string_view input, std::string* fingerprint = nullptr);

// True when `input` looks like a cross-site-scripting payload.
bool detectXss(std::string_view input);

}  // namespace shipgate::managed
