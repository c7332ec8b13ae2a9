#include "benign_corpus.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace benign {
namespace fs = std::filesystem;

namespace {

const char* kSqlWords[] = {"select", "update", "union", "order by", "insert", "delete", "drop",
                           "where", "from", "join", "group by", "having", "table", "and", "or",
                           "like", "between", "limit", "null", "case when"};
const char* kSearchTemplates[] = {
    "%s a plan", "how to %s my address", "%s station opening hours", "%s of the day",
    "can I %s my order", "best way to %s a spreadsheet", "%s two lists in python",
    "%s the cache after deploy", "why does my query need %s", "%s vs merge",
    "credit %s fees", "%s shoes size 42", "what is a %s", "%s notes from meeting"};
const char* kNames[] = {"O'Reilly", "D'Angelo", "O'Brien", "Mary-Jane Watson", "Zoë Müller",
                        "Jean-Luc Picard", "N'Golo Kanté", "Anne O'Neil", "José Álvarez",
                        "Smith & Sons", "Chris \"CJ\" Jones", "Lee", "van der Berg"};
const char* kCities[] = {"Dublin", "São Paulo", "Köln", "New York", "L'Aquila", "Saint-Étienne",
                         "Zürich", "Oslo", "Portland, OR", "Cape Town"};
const char* kStreets[] = {"12 Baker Street, Apt 3", "1600 Amphitheatre Pkwy", "Rue de l'Église 5",
                          "221B Baker St.", "PO Box 42", "Hauptstraße 7/2", "10 Downing St",
                          "500 Union Ave, Suite #200", "3 Select Court", "77 Drop Lane"};
const char* kCodeProse[] = {
    "use a for loop; x = y + 1 until done",
    "call the function with two arguments (a, b) and return the sum",
    "if (count > 10) { show the next page }",
    "set the variable name to \"value\" and try again",
    "the path is src/main/java/App.java, line 42",
    "array[0] holds the first item, array[1] the second",
    "type npm run build -- --watch to rebuild",
    "my script prints: Hello, world!",
    "compare a == b before you assign a = b",
    "see section 3.2 (the update rules) for details",
    "rename the column user_name to username in the table",
    "the price is 5 % off for orders over $100",
    "C:\\Users\\me\\Documents\\report.docx is the file",
    "use git checkout -b feature/login to start"};
const char* kTags[] = {"news", "sql", "help", "billing", "orders", "api", "linux", "docs", "ui"};
const char* kStatic[] = {"app.css", "main.js", "vendor.js", "logo.png", "hero.jpg", "fonts.woff2",
                         "icons.svg", "favicon.ico"};
const char* kUserAgent =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";

std::string urlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      out += ' ';
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

// Sentences of 20..240 printable characters from the source texts.
std::vector<std::string> readSentences(std::vector<std::string>* packages) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/share/common-licenses", ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::vector<fs::path> docs;
  for (const auto& e : fs::directory_iterator("/usr/share/doc", ec)) {
    if (fs::exists(e.path() / "copyright")) {
      docs.push_back(e.path() / "copyright");
      packages->push_back(e.path().filename().string());
    }
  }
  std::sort(docs.begin(), docs.end());
  std::sort(packages->begin(), packages->end());
  if (docs.size() > 60) docs.resize(60);
  std::sort(files.begin(), files.end());
  files.insert(files.end(), docs.begin(), docs.end());
  std::vector<std::string> sentences;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    // A sentence ends at . ? ! or ; followed by white space (so file names like a.cc and
    // versions like 2.0 stay whole) and starts with an upper-case letter.
    std::string cur;
    bool space = false;
    auto end = [&] {
      if (cur.size() >= 20 && cur.size() <= 240 &&
          std::isupper(static_cast<unsigned char>(cur.front()))) {
        sentences.push_back(cur);
      }
      cur.clear();
    };
    for (char ch : text) {
      unsigned char c = static_cast<unsigned char>(ch);
      if (std::isspace(c)) {
        if (!cur.empty()) {
          char last = cur.back();
          if (last == '.' || last == '?' || last == '!' || last == ';') end();
        }
        space = !cur.empty();
        continue;
      }
      if (c < 0x20 || c > 0x7e) continue;
      if (space) cur.push_back(' ');
      space = false;
      cur.push_back(ch);
    }
  }
  return sentences;
}

}  // namespace

std::vector<Request> generate(uint64_t seed, size_t count, const std::string& host,
                              std::string* error) {
  std::vector<std::string> packages;
  std::vector<std::string> sentences = readSentences(&packages);
  if (sentences.size() < 50 || packages.empty()) {
    *error = "too few source texts in /usr/share/common-licenses and /usr/share/doc/*/copyright";
    return {};
  }
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto sentence = [&] { return sentences[pick(sentences.size())]; };
  auto words = [&](size_t n) {  // n words from a sentence, trimmed of punctuation
    std::istringstream in(sentence());
    std::string w, out;
    for (size_t i = 0; i < n && in >> w; ++i) {
      w.erase(std::remove_if(w.begin(), w.end(),
                             [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }),
              w.end());
      if (w.empty()) continue;
      if (!out.empty()) out += ' ';
      out += w;
    }
    return out;
  };
  auto head = [&](const std::string& line, const std::string& accept) {
    return line + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: " + kUserAgent +
           "\r\nAccept: " + accept + "\r\nAccept-Language: en-US,en;q=0.9\r\n"
           "Accept-Encoding: gzip, deflate, br\r\n";
  };
  auto withBody = [&](std::string h, const std::string& type, const std::string& body) {
    return h + "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  const std::string html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
  const std::string json = "application/json";
  std::vector<Request> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Request r;
    switch (pick(10)) {
      case 0:
      case 1: {  // search with SQL words
        char q[256];
        std::snprintf(q, sizeof q, kSearchTemplates[pick(std::size(kSearchTemplates))],
                      kSqlWords[pick(std::size(kSqlWords))]);
        std::string query = q;
        if (pick(2) == 0) query += " " + words(4);
        r.kind = "search";
        r.bytes = head("GET /api/search?q=" + urlEncode(query) + "&page=" +
                           std::to_string(1 + pick(20)) + "&sort=" +
                           (pick(2) ? "date" : "relevance"),
                       json) + "\r\n";
        break;
      }
      case 2: {
        r.kind = "people";
        r.bytes = head("GET /api/people?name=" + urlEncode(kNames[pick(std::size(kNames))]) +
                           "&city=" + urlEncode(kCities[pick(std::size(kCities))]),
                       json) + "\r\n";
        break;
      }
      case 3: {
        r.kind = "docs";
        r.bytes = head("GET /docs/view?path=" +
                           urlEncode("/usr/share/doc/" + packages[pick(packages.size())] +
                                     (pick(2) ? "/copyright" : "/changelog.Debian.gz")) +
                           "&lang=en",
                       html) + "\r\n";
        break;
      }
      case 4:
      case 5: {
        r.kind = "json";
        std::string body = "{\"author\":" + jsonString(kNames[pick(std::size(kNames))]) +
                           ",\"body\":" + jsonString(sentence() + " " + sentence()) +
                           ",\"tags\":[" + jsonString(kTags[pick(std::size(kTags))]) + "," +
                           jsonString(kTags[pick(std::size(kTags))]) + "],\"rating\":" +
                           std::to_string(1 + pick(5)) + "}";
        r.bytes = withBody(head("POST /api/comments", json), "application/json", body);
        break;
      }
      case 6:
      case 7: {
        r.kind = "form";
        std::string name = kNames[pick(std::size(kNames))];
        std::string email = "user" + std::to_string(pick(10000)) + "@example.org";
        std::string body = "name=" + urlEncode(name) + "&email=" + urlEncode(email) +
                           "&address=" + urlEncode(kStreets[pick(std::size(kStreets))]) +
                           "&city=" + urlEncode(kCities[pick(std::size(kCities))]) +
                           "&message=" + urlEncode(sentence());
        r.bytes = withBody(head("POST /contact", html), "application/x-www-form-urlencoded", body);
        break;
      }
      case 8: {
        r.kind = "code";
        std::string body = "{\"title\":" + jsonString(words(5)) + ",\"text\":" +
                           jsonString(kCodeProse[pick(std::size(kCodeProse))]) + "}";
        r.bytes = withBody(head("POST /api/snippets", json), "application/json", body);
        break;
      }
      default: {
        r.kind = "static";
        r.bytes = head("GET /static/" + std::string(kStatic[pick(std::size(kStatic))]) + "?v=" +
                           std::to_string(pick(1000)),
                       "*/*") + "\r\n";
        break;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace benign
