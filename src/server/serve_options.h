// Everything `coffer serve` can be told, with the embedded defaults.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/root_key_setup.h"
#include "vault/key_manager.h"

namespace coffer::server {

struct ServeOptions {
  std::string data_dir = "./coffer-data";  // also COFFER_DATA_DIR
  std::string listen = "127.0.0.1:8720";
  // Empty: SQLite in the data directory. A postgres:// URL: the PostgreSQL database that any
  // number of nodes share (also COFFER_STORE_URL; the password from the URL, PGPASSFILE or
  // COFFER_STORE_PASSWORD).
  std::string store_url;
  RootKeyOptions root_key;                 // provider and its settings (root_key_setup.h)
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  bool insecure = false;                   // allow plain HTTP on a non-loopback address
  // Names browsers reach this server by, besides loopback and the listen address: pages from
  // these origins may call /mcp. Empty: loopback pages only.
  std::vector<std::string> public_hosts;
  int io_threads = 0;                      // 0: one per core, less the core the store's writer needs
  int worker_threads = 64;
  vault::KeyPolicy key_policy;             // automatic KEK rotation and re-wrap batches
  int64_t audit_retention_seconds = 0;     // 0: keep every audit record
  int64_t audit_checkpoint_every = 1000;   // records between signed checkpoints
  // Among nodes on one database: this node's name in `coffer status` and the leases (a process id
  // and a random part are added), and how long a lease on background work lasts unrenewed.
  std::string node_name;                   // empty: the host name
  int lease_seconds = 15;
};

// Runs the server until SIGINT or SIGTERM. Returns the process exit code.
int RunServer(const ServeOptions& options);

}  // namespace coffer::server
