// Google Benchmark of the audit append path on a real SQLite store in a temporary directory:
//   BM_AppendInOneTransaction  the CPU cost of one record (numbering, HMAC chain, insert), with the
//                              commit's fsync shared by a batch of 256
//   BM_RecordDurable           one record in a write of its own, answered after its fsync, as a
//                              lone read's record is; with more threads, records share fsyncs
//                              through the store's group commit, as concurrent requests' do
//   BM_RecordQueued            N requests' records queued by one thread, each behind its own
//                              reply barrier, until all are durable: what the HTTP server does
//                              for reads, where no thread sleeps per record
// Run: build/bench/micro/coffer_audit_bench (see bench/README.md).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>

#include "keyring/keyring.h"
#include "store/sqlite/sqlite_store.h"
#include "vault/audit_log.h"
#include "vault/bootstrap.h"

namespace coffer {
namespace {

// One store and audit log for the whole run, in a directory removed at exit.
struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<keyring::Keyring> keyring;
  std::unique_ptr<vault::AuditLog> audit;

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("coffer-audit-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    store = std::move(store::sqlite::SqliteStore::Open((dir / "coffer.db").string())).value();
    keyring = std::make_unique<keyring::Keyring>(
        std::make_unique<keyring::LocalRootKeyProvider>("file", crypto::SecureKey::Random()));
    if (!vault::Bootstrap(*store, *keyring).ok()) std::abort();
    audit = std::move(vault::AuditLog::Open(*store, *keyring)).value();
  }
  ~Fixture() {
    audit.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture fixture;
  return fixture;
}

// A read's record as the vault writes it: every field filled, realistic lengths.
store::AuditRecord ReadRecord() {
  store::AuditRecord r;
  r.org_id = "org_3kQp9xWv2Lm8Zr1Tn5Yb7c";
  r.actor_id = "idn_7hGf2Kd9Qs4Lp1Xz8Vb3Nm";
  r.actor_name = "billing-agent";
  r.actor_kind = "agent";
  r.chain_ids = {"idn_1aB2cD3eF4gH5iJ6kL7mN8", r.actor_id};
  r.token_id = "tok_5tR4eW3qA2sD1fG9hJ8kL7";
  r.source_ip = "127.0.0.1";
  r.user_agent = "coffer-cli/0.1";
  r.request_id = "req_9oI8uY7tR6eW5qA4sD3fG2";
  r.action = "credential.read";
  r.target = "stripe-production";
  r.target_version = 3;
  return r;
}

void BM_AppendInOneTransaction(benchmark::State& state) {
  auto& f = Shared();
  constexpr int kBatch = 256;
  const auto record = ReadRecord();
  for (auto _ : state) {
    Status written = f.store->Write([&](store::WriteTransaction& txn) -> Status {
      for (int i = 0; i < kBatch; ++i) COFFER_TRY(f.audit->Append(txn, record));
      return Status::Ok();
    });
    if (!written.ok()) state.SkipWithError(written.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_AppendInOneTransaction)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_RecordDurable(benchmark::State& state) {
  auto& f = Shared();
  const auto record = ReadRecord();
  for (auto _ : state) {
    Status written = f.audit->Record(record, {});
    if (!written.ok()) state.SkipWithError(written.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordDurable)->Unit(benchmark::kMicrosecond)->UseRealTime()->Threads(1)->Threads(16)->Threads(64);

void BM_RecordQueued(benchmark::State& state) {
  auto& f = Shared();
  const auto record = ReadRecord();
  const int in_flight = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::atomic<int> remaining{in_flight};
    std::atomic<bool> failed{false};
    std::promise<void> all_durable;
    for (int i = 0; i < in_flight; ++i) {
      RequestContext request{"req_bench", "127.0.0.1", "bench", std::make_shared<DurabilityBarrier>()};
      (void)f.audit->Record(record, request);
      request.reply_barrier->WhenDone([&](Status durable) {
        if (!durable.ok()) failed = true;
        if (--remaining == 0) all_durable.set_value();
      });
    }
    all_durable.get_future().wait();
    if (failed) state.SkipWithError("a queued record failed");
  }
  state.SetItemsProcessed(state.iterations() * in_flight);
}
BENCHMARK(BM_RecordQueued)->Unit(benchmark::kMicrosecond)->UseRealTime()->Arg(1)->Arg(16)->Arg(64);

}  // namespace
}  // namespace coffer

int main(int argc, char** argv) {
  if (!coffer::crypto::InitCrypto()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
