// coffer_dotenv_dump: a window on Coffer's .env reader and writer for compare_with_npm.sh, which
// checks both against npm dotenv. Reads a file ("-" for stdin).
//   parse FILE       prints {"ok":true,"values":{...},"lines":{...}} or {"ok":false,"error":"..."}
//   write FILE       parses FILE and prints WriteDotenv() of the result (error on stderr, exit 1)
//   write-json FILE  prints WriteDotenv() of a JSON object of string values, in its key order
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/dotenv_parser.h"
#include "formats/dotenv_writer.h"

namespace {

bool ReadAll(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

int PrintWritten(const std::vector<coffer::DotenvEntry>& entries) {
  auto text = coffer::WriteDotenv(entries);
  if (!text.ok()) {
    std::cerr << text.error().message << "\n";
    return 1;
  }
  std::cout << *text;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: coffer_dotenv_dump parse|write|write-json FILE\n";
    return 2;
  }
  const std::string mode = argv[1];
  std::string input;
  if (!ReadAll(argv[2], input)) {
    std::cerr << "cannot read " << argv[2] << "\n";
    return 2;
  }

  if (mode == "write-json") {
    const nlohmann::ordered_json object = nlohmann::ordered_json::parse(input);
    std::vector<coffer::DotenvEntry> entries;
    for (const auto& [key, value] : object.items()) {
      entries.push_back(coffer::DotenvEntry{key, value.get<std::string>(), 0});
    }
    return PrintWritten(entries);
  }

  auto parsed = coffer::ParseDotenv(input);
  if (mode == "write") {
    if (!parsed.ok()) {
      std::cerr << parsed.error().message << "\n";
      return 1;
    }
    return PrintWritten(*parsed);
  }
  if (mode != "parse") {
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
  }
  nlohmann::ordered_json out;
  out["ok"] = parsed.ok();
  if (parsed.ok()) {
    out["values"] = nlohmann::ordered_json::object();
    out["lines"] = nlohmann::ordered_json::object();
    for (const auto& entry : *parsed) {
      out["values"][entry.key] = entry.value;
      out["lines"][entry.key] = entry.line;
    }
  } else {
    out["error"] = parsed.error().message;
  }
  std::cout << out.dump() << "\n";
  return 0;
}
