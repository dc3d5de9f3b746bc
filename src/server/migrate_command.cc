#include "server/migrate_command.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>

#include "cli/exit_codes.h"
#include "core/private_file.h"
#include "core/secure_wipe.h"
#include "crypto/secure_key.h"
#include "keyring/keyring.h"
#include "server/core_dumps.h"
#include "server/data_dir.h"
#include "server/data_dir_lock.h"
#include "server/root_key_setup.h"
#include "store/open_store.h"
#include "store/store_copy.h"
#include "vault/audit_log.h"
#include "vault/copy_verification.h"

namespace coffer::server {
namespace {

struct MigrateOptions {
  std::string from, to;
  // Where a PostgreSQL source's nodes keep their root key file (root.key) or passphrase
  // parameters (root.kdf), as `coffer serve --data-dir` does. A SQLite source's own directory
  // serves instead.
  std::string data_dir = "./coffer-data";
  bool data_dir_flag = false;  // --data-dir given on the command line (not only COFFER_DATA_DIR)
  RootKeyOptions root_key;
  int batch = 500;
};

// One end of the migration: a SQLite data directory or a PostgreSQL URL.
struct End {
  bool postgres = false;
  std::string dir;          // SQLite: the data directory
  std::string location;     // what OpenStore opens: dir/coffer.db, or the URL
  std::string description;  // for messages: the directory, or the URL without its password
};

int ExitCodeFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kValidation:
    case ErrorCode::kConflict: return cli::kExitUsage;
    case ErrorCode::kNotFound: return cli::kExitNotFound;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied: return cli::kExitDenied;
    case ErrorCode::kUnavailable: return cli::kExitUnavailable;
    default: return cli::kExitError;
  }
}

int Fail(const Error& e, const std::string& context = "") {
  return cli::Fail(ExitCodeFor(e), context.empty() ? e.message : context + ": " + e.message);
}

// A node running on a PostgreSQL end would write what the copy misses (or what it overwrites):
// every coffer process keeps a session open there under its name, so any other one means stop.
// (A SQLite end is guarded by its data directory's lock instead.) 0 when none runs.
int RefuseWhileNodesRun(store::Store& store, const std::string& description) {
  auto others = store.OtherClients();
  if (!others.ok()) return Fail(others.error(), "cannot list who is connected to " + description);
  if (others->empty()) return 0;
  return cli::Fail(cli::kExitUsage, "'" + others->front() + "' is connected to " + description +
                                        ": stop every node on it first; nothing was changed");
}

Result<End> ParseEnd(const std::string& flag, std::string given) {
  End end;
  if (given.empty()) return MakeError(ErrorCode::kInvalidArgument, flag + " is empty: give a data directory or a postgres:// URL");
  if (store::IsPostgresLocation(given)) {
    end.postgres = true;
    end.location = given;
    end.description = store::DescribeStoreLocation(given);
    return end;
  }
  while (given.size() > 1 && given.back() == '/') given.pop_back();
  struct stat st {};
  if (::stat(given.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     flag + " " + given + " is a file: give the data directory (the one holding coffer.db), or a "
                                          "postgres:// URL");
  }
  end.dir = given;
  end.location = given + "/coffer.db";
  end.description = given;
  return end;
}

// Two spellings of one directory ("data", "./data/") are one store.
bool SameDirectory(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kUnavailable, "cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Copies a secret file of a data directory (mode 0600) unless the same bytes are there already.
// Refuses to replace different bytes: the directory would then open with neither.
Status CopyPrivateFile(const std::string& from, const std::string& to) {
  auto content = ReadWholeFile(from);
  if (!content.ok()) return content.error();
  if (FileExists(to)) {
    auto existing = ReadWholeFile(to);
    const bool same = existing.ok() && *existing == *content;
    if (existing.ok()) SecureWipe(*existing);
    SecureWipe(*content);
    if (same) return Status::Ok();
    return MakeError(ErrorCode::kConflict, to + " exists and differs from " + from +
                                               ": remove it, or migrate into another directory");
  }
  Status written = WritePrivateFile(to, *content);
  SecureWipe(*content);
  return written;
}

// How the target's nodes will find the root key: the files a SQLite target's directory needs
// beside coffer.db, and the flags to start with.
struct KeyHandoff {
  std::vector<std::pair<std::string, std::string>> copies;  // from, to
  std::string serve_flags;
  std::vector<std::string> notes;
};

// Instructions name files absolutely: the nodes may well start from another directory.
std::string Absolute(const std::string& path) {
  std::error_code ignored;
  auto absolute = std::filesystem::absolute(path, ignored);
  return absolute.empty() ? path : absolute.lexically_normal().string();
}

KeyHandoff PlanKeyHandoff(const MigrateOptions& o, const std::string& key_dir, const End& target) {
  KeyHandoff plan;
  const std::string kind = ResolvedKind(o.root_key);
  const std::string key_file = Absolute(KeyFilePath(o.root_key, key_dir));
  const bool default_key_file = o.root_key.key_file.empty();
  if (kind == "file") {
    if (!target.postgres && default_key_file) {
      // It came from a data directory's own root.key: the new directory gets its own copy, so
      // that `coffer serve --data-dir DST` opens it as the old one opened.
      plan.copies.emplace_back(key_file, target.dir + "/root.key");
      plan.notes.push_back("copied the root key file " + key_file + " to " + target.dir + "/root.key (mode 0600)");
    } else if (!target.postgres) {
      // An explicit key file lives outside the data directory on purpose (a mounted secret, say):
      // it is not spread further.
      plan.serve_flags = " --root-key file --root-key-file " + key_file;
    } else {
      plan.serve_flags = " --root-key-file " + key_file;
      plan.notes.push_back("every node needs this root key: pass --root-key-file, or copy " + key_file +
                           " to each node's data directory as root.key, mode 0600");
    }
  } else if (kind == "passphrase") {
    plan.serve_flags = " --root-key passphrase";
    if (!target.postgres) {
      plan.copies.emplace_back(PassphraseKdfPath(key_dir), PassphraseKdfPath(target.dir));
      plan.notes.push_back("copied the passphrase parameters " + PassphraseKdfPath(key_dir) + " to " +
                           PassphraseKdfPath(target.dir) + "; the passphrase is the same");
    } else {
      plan.notes.push_back("every node's data directory needs the passphrase parameters: copy " +
                           PassphraseKdfPath(key_dir) + " into each as root.kdf; the passphrase is the same");
    }
  } else if (kind == "env") {
    plan.serve_flags = " --root-key env";
    plan.notes.push_back("start with COFFER_ROOT_KEY set to the same root key");
  } else {
    plan.serve_flags = " --root-key pkcs11 --pkcs11-module " + o.root_key.pkcs11_module + " --pkcs11-token-label " +
                       o.root_key.pkcs11_token_label + " --pkcs11-key-label " + o.root_key.pkcs11_key_label;
  }
  // The bootstrap owner's token still works (tokens are copied as hashes); a SQLite directory
  // keeps it beside the data, as `coffer serve` left it.
  if (!target.postgres && FileExists(key_dir + "/owner.token")) {
    plan.copies.emplace_back(key_dir + "/owner.token", target.dir + "/owner.token");
    plan.notes.push_back("copied the owner token file to " + target.dir + "/owner.token (mode 0600)");
  }
  return plan;
}

void PrintProgress(std::string_view what, int64_t n, bool done) {
  std::fprintf(stderr, "  %-28s %12lld%s\n", std::string(what).c_str(), static_cast<long long>(n), done ? "" : " ...");
}

int RunMigrate(const MigrateOptions& o) {
  ForbidCoreDumps();  // every KEK and a decryption of every credential pass through here
  if (!crypto::InitCrypto()) return cli::Fail(cli::kExitError, "cannot initialise the crypto library");

  auto from = ParseEnd("--from", o.from);
  if (!from.ok()) return Fail(from.error());
  auto to = ParseEnd("--to", o.to);
  if (!to.ok()) return Fail(to.error());
  if (from->location == to->location || (!from->postgres && !to->postgres && SameDirectory(from->dir, to->dir))) {
    return cli::Fail(cli::kExitUsage, "--from and --to name the same store: --to must be another, empty one");
  }

  if (!from->postgres && o.data_dir_flag) {
    return cli::Fail(cli::kExitUsage, "--data-dir is for a PostgreSQL source: a SQLite source's root key is found in "
                                      "its own directory (or give --root-key-file)");
  }

  // A SQLite directory is held for the whole run: no server starts on either end meanwhile, and
  // one running now on the source means its data is still moving.
  std::optional<DataDirLock> from_lock, to_lock;
  if (!from->postgres) {
    if (!FileExists(from->location)) {
      return cli::Fail(cli::kExitNotFound, "no Coffer data in " + from->dir +
                                               ": --from must be a server's data directory (holding coffer.db)");
    }
    auto lock = DataDirLock::Acquire(from->dir);
    if (!lock.ok()) return Fail(lock.error(), "cannot migrate from " + from->dir + " while it is in use");
    from_lock.emplace(std::move(lock).value());
  }

  // The root key: the source's own directory's for a SQLite source, else where a node of the
  // PostgreSQL source keeps it (--data-dir), as `coffer serve` finds it.
  const std::string key_dir = from->postgres ? o.data_dir : from->dir;
  auto root = OpenRootKey(o.root_key, key_dir, /*fresh_data_dir=*/false);
  if (!root.ok()) {
    return cli::Fail(ExitCodeFor(root.error()),
                     "cannot open the root key: " + root.error().message +
                         (from->postgres ? " (a PostgreSQL source has no data directory of its own: give --data-dir "
                                           "of a node that holds root.key, or --root-key-file)"
                                         : ""));
  }
  const std::string key_source = root->description;
  keyring::Keyring keyring(std::move(root->provider));

  auto source = store::OpenStore({from->location, "coffer migrate"});
  if (!source.ok()) return Fail(source.error(), "cannot open the source " + from->description);
  if (int refused = RefuseWhileNodesRun(**source, from->description); refused != 0) return refused;
  {
    auto read = (*source)->BeginRead();
    auto counts = read->CountRows();
    if (!counts.ok()) return Fail(counts.error(), "cannot read the source " + from->description);
    if (counts->orgs == 0) {
      return cli::Fail(cli::kExitNotFound, "the source " + from->description + " holds no Coffer data: nothing to migrate");
    }
    // Refused rather than copied: a half-done root rotation is finished or undone by the next
    // start, and the copy should carry one root key, not two.
    if (counts->pending_root_wraps > 0) {
      return cli::Fail(cli::kExitUsage, "the source " + from->description +
                                            " is in the middle of a root key rotation: start `coffer serve` on it "
                                            "once (it finishes or undoes the rotation), stop it, then migrate");
    }
    // The root key must open the source before anything is written anywhere.
    auto keks = read->ListKeks();
    if (!keks.ok()) return Fail(keks.error(), "cannot read the source " + from->description);
    for (const auto& kek : *keks) {
      if (!keyring.LoadKek(keyring::WrappedKek{kek.org_id, kek.version, kek.wrapped}).ok()) {
        return cli::Fail(cli::kExitError, "the root key (" + key_source + ") does not open the source's keys (org " +
                                              kek.org_id + ", KEK version " + std::to_string(kek.version) +
                                              "): give the root key its servers start with (--root-key-*)");
      }
    }
  }

  if (!to->postgres) {
    if (Status s = EnsureDataDir(to->dir); !s.ok()) return Fail(s.error());
    auto lock = DataDirLock::Acquire(to->dir);
    if (!lock.ok()) return Fail(lock.error(), "cannot migrate into " + to->dir + " while it is in use");
    to_lock.emplace(std::move(lock).value());
  }
  auto target = store::OpenStore({to->location, "coffer migrate"});
  if (!target.ok()) return Fail(target.error(), "cannot open the target " + to->description);
  if (int refused = RefuseWhileNodesRun(**target, to->description); refused != 0) return refused;
  {
    auto read = (*target)->BeginRead();
    auto counts = read->CountRows();
    if (!counts.ok()) return Fail(counts.error(), "cannot read the target " + to->description);
    auto tip = read->ReadAuditChainTip();
    if (!tip.ok()) return Fail(tip.error(), "cannot read the target " + to->description);
    if (!store::IsEmpty(*counts, *tip)) {
      return cli::Fail(cli::kExitUsage,
                       "the target " + to->description + " already holds Coffer data (" + std::to_string(counts->orgs) +
                           " org(s)); nothing was changed. Migrate into an empty one: " +
                           (to->postgres ? "a new database (createdb), or this one dropped and created again"
                                         : "a new or empty directory"));
    }
  }
  KeyHandoff handoff = PlanKeyHandoff(o, key_dir, *to);
  for (const auto& [src, dst] : handoff.copies) {
    // Checked before the copy: a directory whose root.key holds another key would not open.
    if (FileExists(dst)) {
      auto a = ReadWholeFile(src), b = ReadWholeFile(dst);
      const bool same = a.ok() && b.ok() && *a == *b;
      if (a.ok()) SecureWipe(*a);
      if (b.ok()) SecureWipe(*b);
      if (!same) return cli::Fail(cli::kExitUsage, dst + " exists and differs from " + src +
                                                       ": remove it, or migrate into another directory");
    }
  }

  std::fprintf(stderr, "coffer migrate: copying %s (%s) to %s (%s)\n", from->description.c_str(),
               std::string((*source)->engine()).c_str(), to->description.c_str(),
               std::string((*target)->engine()).c_str());
  store::CopyOptions copy_options;
  copy_options.batch = o.batch;
  // Streaming kinds report every batch; a line per ten batches keeps a big trail readable.
  copy_options.progress = [lines = int64_t{0}](std::string_view kind, int64_t n, bool done) mutable {
    if (!done && ++lines % 10 != 1) return;
    PrintProgress(kind, n, done);
  };
  auto copied = store::CopyStore(**source, **target, copy_options);
  if (!copied.ok()) {
    return Fail(copied.error(), "the copy failed and was rolled back, so " + to->description + " is as it was");
  }

  std::fprintf(stderr, "coffer migrate: verifying the copy with the root key\n");
  vault::CopyVerificationOptions verify_options;
  verify_options.batch = o.batch;
  verify_options.progress = [lines = int64_t{0}](std::string_view what, int64_t n, bool done) mutable {
    if (!done && ++lines % 10 != 1) return;
    PrintProgress(what, n, done);
  };
  auto verified = vault::VerifyCopy(**source, **target, keyring, verify_options);
  if (!verified.ok()) {
    return cli::Fail(cli::kExitError, verified.error().message + ". The target " + to->description +
                                          " holds the unverified copy: do not start nodes on it; empty it and "
                                          "migrate again, or keep using the source");
  }
  // A node still writing to the source would have written after the snapshot: those writes are
  // not in the copy.
  {
    auto read = (*source)->BeginRead();
    auto counts = read->CountRows();
    auto tip = read->ReadAuditChainTip();
    if (!counts.ok() || !tip.ok() || !(*counts == copied->counts) || tip->last_seq != copied->tip.last_seq) {
      return cli::Fail(cli::kExitError, "the source changed while it was copied: a node is still running on it. "
                                        "Stop every node, empty the target " + to->description + ", and migrate again");
    }
  }

  // The move itself goes on the trail, as the target's next record: verify covers it too.
  if (copied->counts.audit_keys > 0) {
    store::AuditRecord record = vault::AuditLog::ServerEvent(
        "store.migrate", std::string((*source)->engine()) + " -> " + std::string((*target)->engine()));
    record.actor_name = "coffer migrate";
    auto audit = vault::AuditLog::Open(**target, keyring);
    Status recorded = audit.ok() ? (*audit)->Record(std::move(record), {}) : Status(audit.error());
    if (!recorded.ok()) {
      std::fprintf(stderr, "coffer: the copy is verified, but its audit record failed: %s\n",
                   recorded.error().message.c_str());
    }
  }
  for (const auto& [src, dst] : handoff.copies) {
    if (Status s = CopyPrivateFile(src, dst); !s.ok()) {
      return Fail(s.error(), "the copy is verified, but a key file could not be copied");
    }
  }

  const auto& c = copied->counts;
  std::printf("Migrated %s (%s) to %s (%s), verified:\n", from->description.c_str(),
              std::string((*source)->engine()).c_str(), to->description.c_str(),
              std::string((*target)->engine()).c_str());
  for (const auto& [kind, n] : store::RowKinds(c)) {
    if (kind != "pending root wraps") std::printf("  %-20s %lld\n", std::string(kind).c_str(), static_cast<long long>(n));
  }
  std::printf("Every credential version decrypts with the root key (%lld), and the audit chain verifies (%lld "
              "records from #%lld, %lld checkpoint(s)).\n",
              static_cast<long long>(verified->versions_opened), static_cast<long long>(verified->audit.checked),
              static_cast<long long>(verified->audit.first_seq), static_cast<long long>(verified->audit.checkpoints));
  for (const auto& note : handoff.notes) std::printf("Root key: %s.\n", note.c_str());
  if (to->postgres) {
    std::printf("Start each node with: coffer serve --store %s%s\n", to->description.c_str(), handoff.serve_flags.c_str());
    if (to->description != to->location) {
      std::printf("  (*** stands for the database password: give it as COFFER_STORE_PASSWORD or in a PGPASSFILE)\n");
    }
  } else {
    std::printf("Start the server with: coffer serve --data-dir %s%s\n", to->dir.c_str(), handoff.serve_flags.c_str());
  }
  std::printf("The source %s is unchanged: keep it until the new nodes serve, and start no node on it again.\n",
              from->description.c_str());
  return cli::kExitOk;
}

}  // namespace

void AddMigrateCommand(CLI::App& app) {
  auto options = std::make_shared<MigrateOptions>();
  if (const char* dir = std::getenv("COFFER_DATA_DIR"); dir != nullptr && *dir != '\0') options->data_dir = dir;
  CLI::App* cmd = app.add_subcommand(
      "migrate",
      "Copy a whole Coffer to another engine (SQLite data directory <-> postgres:// URL) and verify the copy; "
      "stop every server on the source first");
  cmd->add_option("--from", options->from, "Source: a data directory (SQLite) or postgres://USER@HOST:PORT/DB")
      ->required();
  cmd->add_option("--to", options->to, "Target, empty: a data directory (SQLite) or postgres://USER@HOST:PORT/DB")
      ->required();
  CLI::Option* data_dir = cmd->add_option("--data-dir", options->data_dir,
                  "For a PostgreSQL source: a node's data directory, where its root key file or passphrase "
                  "parameters are (env COFFER_DATA_DIR)")
      ->capture_default_str();
  AddRootKeyFlags(cmd, options->root_key);
  cmd->add_option("--batch", options->batch, "Credential versions or audit records read at a time from the source")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->footer(
      "The root key file defaults to SRC/root.key for a SQLite source and to <--data-dir>/root.key for a PostgreSQL "
      "one. PostgreSQL passwords come from the URL, PGPASSFILE or COFFER_STORE_PASSWORD (both ends, when both are "
      "PostgreSQL), and are never printed.");
  cmd->callback([options, data_dir] {
    options->data_dir_flag = data_dir->count() > 0;
    std::exit(RunMigrate(*options));
  });
}

}  // namespace coffer::server
