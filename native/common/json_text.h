// Minimal JSON writing for the small status objects the addon returns as text.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

namespace nt {

inline void appendJsonString(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += char(ch);
        }
    }
  }
  out += '"';
}

inline void appendJsonStrings(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    appendJsonString(out, items[i]);
  }
  out += ']';
}

// Starts member `key` of an object being written into `out` ("{" so far or more).
inline void jsonField(std::string& out, const char* key) {
  if (out.size() > 1) out += ',';
  appendJsonString(out, key);
  out += ':';
}

}  // namespace nt
