#include "server/serve_command.h"

#include <cstdlib>
#include <map>
#include <memory>

#include "server/serve_options.h"

namespace coffer::server {

void AddServeCommand(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  if (const char* dir = std::getenv("COFFER_DATA_DIR"); dir != nullptr && *dir != '\0') {
    options->data_dir = dir;
  }
  CLI::App* serve = app.add_subcommand("serve", "Run the Coffer server (embedded SQLite, generated root key)");
  serve->add_option("--data-dir", options->data_dir, "Data directory (env COFFER_DATA_DIR)")->capture_default_str();
  serve->add_option("--listen", options->listen, "HOST:PORT to listen on; port 0 picks a free one")->capture_default_str();
  serve->add_option("--store", options->store_url,
                    "postgres://USER@HOST:PORT/DB to share one PostgreSQL between nodes (env COFFER_STORE_URL; "
                    "password from the URL, PGPASSFILE or COFFER_STORE_PASSWORD). Default: SQLite in the data directory")
      ->envname("COFFER_STORE_URL");
  AddRootKeyFlags(serve, options->root_key);
  serve->add_option("--kek-rotate-after-encryptions", options->key_policy.rotate_after_encryptions,
                    "Rotate an org's KEK automatically after this many encryptions under it (NIST SP 800-38D "
                    "caps random-nonce AES-GCM at 2^32)")
      ->capture_default_str();
  serve->add_option("--kek-rotate-after-days", options->key_policy.rotate_after_days,
                    "Also rotate a KEK automatically once it is this many days old (0: never by age)")
      ->capture_default_str();
  serve->add_option("--rewrap-batch-size", options->key_policy.rewrap_batch_size,
                    "DEKs re-wrapped per store write during a background re-wrap")
      ->capture_default_str();
  serve->add_option("--audit-retention", options->audit_retention_seconds,
                    "Delete audit records older than this (90d, 12h, 30m, 45s; 0 keeps them all), behind a "
                    "signed checkpoint so the rest still verifies")
      ->transform(CLI::AsNumberWithUnit(std::map<std::string, int64_t>{{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}},
                                        CLI::AsNumberWithUnit::CASE_SENSITIVE))
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_option("--audit-checkpoint-every", options->audit_checkpoint_every,
                    "Sign a checkpoint of the audit chain every this many records")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  serve->add_option("--node-name", options->node_name,
                    "This node's name among the nodes on one database (default: the host name)");
  serve->add_option("--lease-seconds", options->lease_seconds,
                    "How long a node's lease on background work (re-wrap, rotation, retention) lasts unrenewed: "
                    "after a node dies, another takes the work over within this")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  serve->add_option("--tls-cert", options->tls_cert, "PEM certificate chain: serve HTTPS");
  serve->add_option("--tls-key", options->tls_key, "PEM private key for --tls-cert");
  serve->add_flag("--insecure", options->insecure, "Allow plain HTTP on a non-loopback address");
  serve->add_option("--public-host", options->public_hosts,
                    "A host name browsers reach this server by (repeatable): pages served from it may call /mcp");
  serve->add_option("--io-threads", options->io_threads,
                    "Network threads, which also run credential reads (0: one per core, less one for the store's writer)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  serve->add_option("--worker-threads", options->worker_threads, "Request worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  serve->callback([options] { std::exit(RunServer(*options)); });
}

}  // namespace coffer::server
