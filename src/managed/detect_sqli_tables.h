// Private to detect_sqli.cc: our tables of SQL words and of injection shapes (see the fingerprint
// alphabet at the top of detect_sqli.cc). Built from the shapes of real injections (the CRS
// regression payloads, sqlmap's payloads and tamper scripts) and checked against ordinary text by
// tests/unit/managed/detect_test.cc.
#pragma once

#include <string_view>

namespace shipgate::managed::sqli {

struct Word {
  std::string_view name;
  char type;
  bool strong = false;  // functions: rarely seen outside SQL (sleep, benchmark, extractvalue ...)
};

// Our table of SQL words (MySQL, PostgreSQL, MSSQL, Oracle, SQLite). Functions are typed 'f' only
// when a '(' follows; otherwise they are barewords.
inline constexpr Word kWords[] = {
    {"and", '&'},
    {"or", '&'},
    {"xor", '&'},
    {"not", 'N'},
    {"div", 'o'},
    {"mod", 'o'},
    {"like", 'L'},
    {"rlike", 'L'},
    {"ilike", 'L'},
    {"regexp", 'L'},
    {"glob", 'L'},
    {"is", 'L'},
    {"sounds", 'L'},
    {"union", 'U'},
    {"intersect", 'U'},
    {"select", 'E'},
    {"insert", 'E'},
    {"update", 'E'},
    {"delete", 'E'},
    {"drop", 'E'},
    {"create", 'E'},
    {"alter", 'E'},
    {"truncate", 'E'},
    {"exec", 'E'},
    {"execute", 'E'},
    {"declare", 'E'},
    {"waitfor", 'E'},
    {"shutdown", 'E'},
    {"order", 'O'},
    {"group", 'O'},
    {"having", 'B'},
    {"by", 'k'},
    {"from", 'k'},
    {"where", 'k'},
    {"into", 'k'},
    {"values", 'k'},
    {"null", 'k'},
    {"in", 'k'},
    {"as", 'k'},
    {"case", 'k'},
    {"when", 'k'},
    {"then", 'k'},
    {"else", 'k'},
    {"end", 'k'},
    {"all", 'k'},
    {"distinct", 'k'},
    {"top", 'k'},
    {"delay", 'k'},
    {"time", 'k'},
    {"join", 'k'},
    {"on", 'k'},
    {"set", 'k'},
    {"exists", 'k'},
    {"between", 'L'},
    {"limit", 'k'},
    {"offset", 'k'},
    {"table", 'k'},
    {"database", 'k'},
    {"schema", 'k'},
    {"procedure", 'k'},
    {"function", 'k'},
    {"view", 'k'},
    {"index", 'k'},
    {"trigger", 'k'},
    {"user", 'k'},
    {"true", '1'},
    {"false", '1'},
    // Functions.
    {"sleep", 'F', true},
    {"benchmark", 'F', true},
    {"pg_sleep", 'F', true},
    {"extractvalue", 'F', true},
    {"updatexml", 'F', true},
    {"load_file", 'F', true},
    {"xmltype", 'F', true},
    {"randomblob", 'F', true},
    {"dbms_pipe.receive_message", 'F', true},
    {"utl_inaddr.get_host_name", 'F', true},
    {"utl_http.request", 'F', true},
    {"xp_cmdshell", 'F', true},
    {"sp_executesql", 'F', true},
    {"openrowset", 'F', true},
    {"opendatasource", 'F', true},
    {"group_concat", 'F', true},
    {"concat_ws", 'F', true},
    {"name_const", 'F', true},
    {"make_set", 'F', true},
    {"gtid_subset", 'F', true},
    {"json_keys", 'F', true},
    {"unhex", 'F', true},
    {"current_user", 'F', true},
    {"system_user", 'F', true},
    {"session_user", 'F', true},
    {"information_schema", 'n'},
    {"char", 'F'},
    {"chr", 'F'},
    {"nchar", 'F'},
    {"concat", 'F'},
    {"ascii", 'F'},
    {"ord", 'F'},
    {"substring", 'F'},
    {"substr", 'F'},
    {"mid", 'F'},
    {"hex", 'F'},
    {"version", 'F'},
    {"if", 'F'},
    {"ifnull", 'F'},
    {"isnull", 'F'},
    {"nullif", 'F'},
    {"coalesce", 'F'},
    {"cast", 'F'},
    {"convert", 'F'},
    {"count", 'F'},
    {"length", 'F'},
    {"len", 'F'},
    {"md5", 'F'},
    {"sha1", 'F'},
    {"rand", 'F'},
    {"floor", 'F'},
    {"elt", 'F'},
    {"exp", 'F'},
    {"outfile", 'n'},
    {"dumpfile", 'n'},
};

// Shapes of injections that close a quoted string first.
inline constexpr std::string_view kQuoteShapes[] = {
    "s&[1sv]=", "s&n=",    "s&1$",     "s&1c",    "s&1;",    "s&f(",       "s&([1sfvE(]", "s&(n=",
    "s&E",      "s&v",     "s&1&",     "s&1o",    "s&[1s]B", "s=s$",       "s=s&",        "s=sc",
    "s=1&",     "s=1c",    "s=[1s]o",  "sc$",     "s)c$",    "s))c$",      "s;c$",        "s;E",
    "s);E",     "s));E",   "sUE",      "s)UE",    "s))UE",   "sU(E",       "s)U(E",       "sf(",
    "sof(",     "so(E",    "s)E",      "s))E",    "sE",      "s)&[(1sfv]", "s))&[(1sfv]", "s)&n=",
    "sB",       "s)B",     "s))B",     "s&sB",    "s=s=",    "s=v",        "s=f(",        "s=(E",
    "s=1=",     "s&[1s]L", "s&nL[1s]", "sL[1s]$", "sL[1s]&", "sL[1s]c",
};

// Shapes that need no quote.
inline constexpr std::string_view kPlainShapes[] = {
    "1&1=",  "1&s=",   "1&n=",   "1&v",    "1&f(",     "1&([1sfvE(]", "1&1c", "1&1;",    "1&1B",
    "n&1=1", "n&s=s",  "n&f(",   "v&1=",   "1;E",      "n;E",         "1);E", "n);E",    ";E",
    "1UE",   "nUE",    "1)UE",   "n)UE",   "1U(E",     "UE",          "vUE",  "1)&(1",   "1)&1=",
    "1)&(s", "1))&",   "1)&f(",  "n)&(n=", "1of(",     "1c$",         "1E",   "1)E",     "nEs",
    "1Es",   "f(1,f(", "f(s,f(", "f(E",    "f(1,1,f(", "1B1c",        "nB1c", "1&[1s]L", "1&nL[1s]",
    "&1=1",  "&1==1",  "&(1=1",  "&1=(",   "&s=s",
};

// Shapes matched anywhere in the fingerprint. Each starts with a literal token type (detect_sqli.cc
// indexes them by it).
inline constexpr std::string_view kAnywhereShapes[] = {"UE",  "U(E", ";E",       "(E",
                                                       "&f(", "&v",  "&1=[1s(]", "&(1=1"};

}  // namespace shipgate::managed::sqli
