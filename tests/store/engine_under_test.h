// The engines the storage conformance suite runs on. An engine is a way to make a fresh, empty
// database for one test and to open stores on it; the suite itself knows nothing else about it.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace coffer::store::conformance {

// One test's database. Made empty by the engine's factory; removed when destroyed (after every
// store opened on it is gone).
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  // A store on this database. The first call opens the fresh database; every later call opens
  // another store on the same database beside the ones already open: a second node for
  // PostgreSQL, a second open of the same file for SQLite.
  virtual Result<std::unique_ptr<Store>> Open() = 0;
};

struct EngineUnderTest {
  std::string name;  // the test name's suffix: letters, digits and '_' only
  std::function<std::unique_ptr<TestDatabase>()> make_database;
};

// Test output names the engine, not its bytes.
inline void PrintTo(const EngineUnderTest& engine, std::ostream* out) { *out << engine.name; }

// Every engine this build can test.
std::vector<EngineUnderTest> EnginesUnderTest();

}  // namespace coffer::store::conformance
