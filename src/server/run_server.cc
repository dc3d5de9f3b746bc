#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "api/http/audit_routes.h"
#include "api/http/http_server.h"
#include "api/http/identity_routes.h"
#include "api/http/key_routes.h"
#include "api/http/import_routes.h"
#include "api/http/router.h"
#include "api/http/system_routes.h"
#include "api/http/typed_routes.h"
#include "api/http/vault_routes.h"
#include "api/mcp/mcp_http_route.h"
#include "core/log.h"
#include "core/private_file.h"
#include "core/secure_wipe.h"
#include "crypto/secure_key.h"
#include "keyring/keyring.h"
#include "server/core_dumps.h"
#include "server/data_dir.h"
#include "server/data_dir_lock.h"
#include "server/root_key_setup.h"
#include "server/serve_options.h"
#include "store/open_store.h"
#include "vault/audit_retention.h"
#include "vault/bootstrap.h"
#include "vault/key_manager.h"
#include "vault/leases.h"
#include "vault/org_service.h"
#include "vault/root_rotation.h"
#include "vault/status_service.h"
#include "vault/vault.h"

namespace coffer::server {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "coffer: %s\n", message.c_str());
  return 1;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "--listen must be HOST:PORT, e.g. 127.0.0.1:8720");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535 || colon + 1 == listen.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "--listen port must be a number from 0 to 65535");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

void PrintBanner(const ServeOptions& options, const std::string& url, const std::string& key_source,
                 const std::string& node_id, const std::string& token_file,
                 const std::optional<std::string>& new_token) {
  std::printf("Coffer is running.\n");
  std::printf("  Listening on    %s\n", url.c_str());
  std::printf("  Data directory  %s\n", options.data_dir.c_str());
  if (options.store_url.empty()) {
    std::printf("  Store           SQLite, WAL, in the data directory\n");
  } else {
    std::printf("  Store           PostgreSQL at %s\n", store::DescribeStoreLocation(options.store_url).c_str());
    std::printf("  Node            %s\n", node_id.c_str());
  }
  std::printf("  Root key        %s\n", key_source.c_str());
  if (new_token) {
    std::printf("  Owner token     %s\n", new_token->c_str());
    std::printf("                  shown once; also saved to %s (mode 0600)\n", token_file.c_str());
  } else if (FileExists(token_file)) {
    std::printf("  Owner token     in %s\n", token_file.c_str());
  }
  std::printf("\nAuthenticate with:  Authorization: Bearer <owner token>\n");
  std::printf("  export COFFER_ADDR=%s COFFER_TOKEN=$(cat %s)\n", url.c_str(), token_file.c_str());
  std::printf("  coffer vault list\n");
  std::fflush(stdout);
}

// The I/O threads parse, answer reads and write; the store's writer thread chains and commits
// every record. On two cores one I/O thread beside the writer served 10-15% more audited GETs
// than two, which kept pre-empting it.
int NetworkThreadsForThisMachine() {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, cores - 1);
}

}  // namespace

int RunServer(const ServeOptions& options) {
  ForbidCoreDumps();
  // Block the stop signals before any thread starts (the store's writer, the HTTP pools), so
  // threads inherit the mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (!crypto::InitCrypto()) return Fail("cannot initialise the crypto library");

  auto listen = ParseListen(options.listen);
  if (!listen.ok()) return Fail(listen.error().message);
  const bool tls = options.tls_cert.has_value() || options.tls_key.has_value();
  if (tls && !(options.tls_cert && options.tls_key)) {
    return Fail("TLS needs both --tls-cert and --tls-key");
  }
  if (!IsLoopback(listen->first) && !tls && !options.insecure) {
    return Fail("refusing to serve plain HTTP on non-loopback address " + listen->first +
                ": give --tls-cert and --tls-key, or --insecure if a TLS proxy sits in front");
  }

  if (Status s = EnsureDataDir(options.data_dir); !s.ok()) return Fail(s.error().message);
  if (Status s = vault::ValidateKeyPolicy(options.key_policy); !s.ok()) return Fail(s.error().message);
  // Held until exit: no second server, and no offline `coffer keys rotate-root`, on this data.
  auto data_dir_lock = DataDirLock::Acquire(options.data_dir);
  if (!data_dir_lock.ok()) return Fail(data_dir_lock.error().message);
  RemoveAbandonedWrites(options.data_dir);
  const std::string token_file = options.data_dir + "/owner.token";
  // SQLite in the data directory, or the PostgreSQL database several nodes share.
  const std::string node_id = vault::NewNodeId(options.node_name);
  auto store = store::OpenStore({options.store_url.empty() ? options.data_dir + "/coffer.db" : options.store_url,
                                 "coffer " + node_id});
  if (!store.ok()) return Fail(store.error().message);
  // A store holding no org yet is new: only then may a root key be generated for it. A second
  // node on a database the first one set up must be given the same root key.
  auto existing_orgs = (*store)->BeginRead()->ListOrgs();
  if (!existing_orgs.ok()) return Fail(existing_orgs.error().message);
  const bool fresh = existing_orgs->empty();

  auto root = OpenRootKey(options.root_key, options.data_dir, fresh);
  if (!root.ok()) return Fail(root.error().message);
  std::string key_source = root->description;
  keyring::Keyring keyring(std::move(root->provider));

  // Every KEK, with a clear message when the root key is the wrong one (and an interrupted root
  // key rotation finished or undone) before anything else touches the data.
  if (Status s = vault::LoadKeyHierarchy(**store, keyring); !s.ok()) return Fail(s.error().message);
  auto boot = vault::Bootstrap(**store, keyring);
  if (!boot.ok()) return Fail(boot.error().message);
  if (boot->new_owner_token) {
    std::string line = *boot->new_owner_token + "\n";
    Status written = WritePrivateFile(token_file, line);
    SecureWipe(line);
    if (!written.ok()) {
      SecureWipe(*boot->new_owner_token);
      return Fail(written.error().message);
    }
  }

  auto audit = vault::AuditLog::Open(**store, keyring, {.checkpoint_every = options.audit_checkpoint_every});
  if (!audit.ok()) return Fail(audit.error().message);
  vault::Vault vault(**store, keyring, **audit);
  api::Router router;
  api::AddSystemRoutes(router, **store);
  api::AddVaultRoutes(router, vault);
  vault::SecondFactor second_factor(**store, keyring, **audit);
  vault::IdentityService identities(**store, **audit, second_factor);
  vault::OrgService orgs(**store, keyring, **audit);
  api::AddIdentityRoutes(router, vault, identities, orgs, second_factor);
  api::AddAuditRoutes(router, vault, **audit);
  api::AddTypedRoutes(router, vault);
  api::AddImportRoutes(router, vault);
  api::McpHttpOptions mcp_options;
  mcp_options.served_hosts.insert(options.public_hosts.begin(), options.public_hosts.end());
  if (listen->first != "0.0.0.0" && listen->first != "::") mcp_options.served_hosts.insert(listen->first);
  api::AddMcpRoutes(router, vault, mcp_options);
  vault::Leases leases(**store, node_id, std::chrono::seconds(options.lease_seconds));
  vault::KeyManager key_manager(**store, keyring, **audit, leases, options.key_policy);
  if (Status s = key_manager.Start(); !s.ok()) return Fail(s.error().message);
  vault::StatusService status_service(**store, key_manager, leases, NowMicros());
  api::AddKeyRoutes(router, vault, key_manager, status_service);

  api::HttpServerOptions http_options;
  http_options.host = listen->first;
  http_options.port = listen->second;
  if (tls) http_options.tls = api::TlsFiles{*options.tls_cert, *options.tls_key};
  http_options.io_threads = options.io_threads > 0 ? options.io_threads : NetworkThreadsForThisMachine();
  http_options.worker_threads = options.worker_threads;
  // SQLite reads are local and quick enough for the I/O thread; a database's are not.
  http_options.inline_quick_handlers = (*store)->engine() == "sqlite";
  api::HttpServer server(http_options, [&router](const api::ApiRequest& r) { return router.Route(r); });
  auto port = server.Start();
  if (!port.ok()) return Fail(port.error().message);

  std::string host = listen->first.find(':') != std::string::npos ? "[" + listen->first + "]" : listen->first;
  std::string url = std::string(tls ? "https" : "http") + "://" + host + ":" + std::to_string(*port);
  // Recorded before the banner: whoever waits for "listening" finds the start in the trail.
  if (Status s = (*audit)->Record(vault::AuditLog::ServerEvent("server.start", url), {}); !s.ok()) {
    if (boot->new_owner_token) SecureWipe(*boot->new_owner_token);
    return Fail(s.error().message);
  }
  PrintBanner(options, url, key_source, leases.node_id(), token_file, boot->new_owner_token);
  if (boot->new_owner_token) SecureWipe(*boot->new_owner_token);
  LogInfo("coffer listening on " + url);
  vault::AuditRetention retention(**audit, leases, std::chrono::seconds(options.audit_retention_seconds));
  retention.Start();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogInfo(std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
          ": finishing in-flight requests");
  server.Shutdown();
  key_manager.Stop();  // a running re-wrap resumes at the next start
  retention.Stop();
  leases.ReleaseAll();  // the other nodes take the background work over at once
  (void)(*audit)->Record(vault::AuditLog::ServerEvent("server.stop", signal_number == SIGINT ? "SIGINT" : "SIGTERM"), {});
  LogInfo("coffer stopped");
  return 0;
}

}  // namespace coffer::server
