#include "api/http/http_server.h"

#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/http/header_rules.h"
#include "api/http/json_io.h"
#include "api/http/router.h"
#include "core/log.h"
#include "vault/ids.h"

namespace coffer::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr size_t kHeaderLimit = 16 * 1024;

struct SharedState {
  SharedState(RequestHandler h, size_t limit, int workers, bool inline_quick)
      : handler(std::move(h)), body_limit(limit), inline_quick_handlers(inline_quick),
        pool(static_cast<size_t>(workers)) {}
  RequestHandler handler;
  size_t body_limit;
  bool inline_quick_handlers;
  net::thread_pool pool;  // handlers that may wait; the others run on the I/O threads
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  // A reply can become ready on the store's writer thread after a shutdown gave up waiting for
  // it; from then on it is dropped instead of posted to an I/O context that is going away.
  std::shared_mutex delivery_mutex;  // shared by deliveries, exclusive to close
  bool closed = false;
};

// False when a parameter is given twice: which of the two a handler would read is not for the
// parser to guess (the same rule as a JSON key given twice).
bool ParseQuery(std::string_view query, std::map<std::string, std::string>& out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    for (auto* s : {&key, &value}) {
      for (char& c : *s) if (c == '+') c = ' ';
      std::string decoded;
      if (PercentDecode(*s, decoded)) *s = std::move(decoded);
    }
    if (!out.try_emplace(std::move(key), std::move(value)).second) return false;
  }
  return true;
}

// The request as handlers see it; or why it cannot be one (its body is wiped then).
Result<ApiRequest> Translate(http::request<http::string_body>& req, const std::string& remote_ip) {
  ApiRequest api;
  api.method = std::string(req.method_string());
  auto raw_target = req.target();
  std::string_view target(raw_target.data(), raw_target.size());
  size_t question = target.find('?');
  api.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos && !ParseQuery(target.substr(question + 1), api.query)) {
    SecureWipe(req.body());
    return MakeError(ErrorCode::kInvalidArgument, "a query parameter is given twice: send each once");
  }
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // A list-valued header sent on several lines is one list (RFC 9110 section 5.3); the
    // single-valued ones were refused twice over before this (header_rules.h).
    std::string_view value(field.value().data(), field.value().size());
    auto [it, inserted] = api.headers.try_emplace(std::move(name), value);
    if (!inserted) it->second.append(", ").append(value);
  }
  api.body = std::move(req.body());
  SecureWipe(req.body());
  api.remote_ip = remote_ip;
  api.request_id = vault::NewId("req_");
  api.reply_barrier = std::make_shared<DurabilityBarrier>();
  return api;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(Stream stream, std::shared_ptr<SharedState> state, std::string remote_ip)
      : stream_(std::move(stream)), state_(std::move(state)), remote_ip_(std::move(remote_ip)) {}

  void Run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(30));
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (!ec) self->ReadRequest();
        });
      } else {
        self->ReadRequest();
      }
    });
  }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(state_->body_limit);
    parser_->header_limit(kHeaderLimit);
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return Close();
    if (ec == http::error::body_limit) {
      return Refuse(ErrorResponse(413, "payload_too_large",
                                  "the request body is over 1 MiB: store large files elsewhere and keep a reference here"));
    }
    if (ec == http::error::header_limit) {
      return Refuse(ErrorResponse(431, "headers_too_large", "the request headers are over 16 KiB"));
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return Refuse(ErrorResponse(400, "invalid_request", "the request is not valid HTTP/1.1"));
    }
    if (ec) return;  // timeout, reset, shutdown: nothing to answer
    if (auto problem = HeaderProblem(parser_->get().base())) {
      return Refuse(ErrorResponse(400, "invalid_request", *problem));
    }
    if (state_->stopping.load()) {
      // Requests that arrive after shutdown began are refused, so the in-flight ones can drain.
      return Refuse(ErrorResponse(503, "unavailable", "the server is shutting down: retry shortly"));
    }
    http::request<http::string_body> req = parser_->release();
    auto translated = Translate(req, remote_ip_);
    if (!translated.ok()) return Refuse(ErrorResponse(translated.error()));
    auto api = std::make_shared<ApiRequest>(std::move(translated).value());
    const bool keep_alive = req.keep_alive();
    state_->in_flight.fetch_add(1);
    RoutedRequest routed = state_->handler(*api);
    if (routed.waits == Waits::kNo && state_->inline_quick_handlers) {
      // It reads a few rows and queues its records: cheaper here than the hand-off to another
      // thread and back (side by side, 15% less CPU per audited GET).
      return Handle(std::move(api), keep_alive, std::move(routed.run));
    }
    net::post(state_->pool, [self = this->shared_from_this(), api, keep_alive, run = std::move(routed.run)]() mutable {
      self->Handle(std::move(api), keep_alive, std::move(run));
    });
  }

  void Handle(std::shared_ptr<ApiRequest> api, bool keep_alive, std::function<ApiResponse()> run) {
    ApiResponse response;
    try {
      response = run();
    } catch (const std::exception&) {
      LogError("request " + api->request_id + " failed with an internal exception");
      response = ErrorResponse(500, "internal", "internal error: the request id is in the server log");
    }
    std::string request_id = api->request_id;
    auto barrier = api->reply_barrier;
    api.reset();  // wipes the request body now, not when the last copy dies
    barrier->WhenDone([self = this->shared_from_this(), response = std::move(response), keep_alive,
                       request_id](Status durable) mutable {
      if (!durable.ok()) {
        // A record of this request did not reach the disk: what it answered must not leave.
        SecureWipe(response.body);
        response = ErrorResponse(durable.error());
      }
      self->Deliver(std::move(response), keep_alive, request_id);
    });
  }

  void Deliver(ApiResponse response, bool keep_alive, const std::string& request_id) {
    std::shared_lock lock(state_->delivery_mutex);
    if (state_->closed) {
      SecureWipe(response.body);
      return;
    }
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), response = std::move(response), keep_alive, request_id]() mutable {
                self->WriteResponse(std::move(response), keep_alive, /*counted=*/true, request_id);
              });
  }

  // Answers a request that never reached a handler, and closes the connection after it: what
  // follows on it cannot be trusted to start a request.
  void Refuse(ApiResponse response) {
    WriteResponse(std::move(response), /*keep_alive=*/false, /*counted=*/false, vault::NewId("req_"));
  }

  void WriteResponse(ApiResponse api, bool keep_alive, bool counted, const std::string& request_id) {
    StampRequestId(api, request_id);
    response_ = {};
    response_.version(11);
    response_.result(static_cast<http::status>(api.status));
    response_.set(http::field::server, "coffer");
    response_.set(http::field::content_type, api.content_type);
    response_.set("X-Request-Id", request_id);
    // Hardening for any browser that is shown a response: no MIME sniffing, no Referer carrying
    // a URL onward, and nothing a JSON body could load or frame. A page may set its own policy.
    response_.set("X-Content-Type-Options", "nosniff");
    response_.set("Referrer-Policy", "no-referrer");
    response_.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    for (auto& [name, value] : api.headers) response_.set(name, value);
    response_.keep_alive(keep_alive && !state_->stopping.load());
    response_.body() = std::move(api.body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = this->shared_from_this(), counted](beast::error_code ec, size_t) {
                        self->OnWrite(ec, counted);
                      });
  }

  void OnWrite(beast::error_code ec, bool counted) {
    SecureWipe(response_.body());  // a GET response holds a decrypted secret
    const bool close = !response_.keep_alive();
    if (counted) state_->in_flight.fetch_sub(1);
    if (ec) return;
    if (close) return Close();
    ReadRequest();
  }

  void Close() {
    beast::error_code ec;
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  std::shared_ptr<SharedState> state_;
  std::string remote_ip_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, RequestHandler handler)
      : options_(std::move(options)),
        ioc_(options_.io_threads),
        keep_running_(net::make_work_guard(ioc_)),
        acceptor_(net::make_strand(ioc_)),
        state_(std::make_shared<SharedState>(std::move(handler), options_.body_limit,
                                             options_.worker_threads, options_.inline_quick_handlers)) {}

  Result<uint16_t> Start() {
    if (options_.tls) {
      tls_.emplace(ssl::context::tls_server);
      tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      beast::error_code ec;
      tls_->use_certificate_chain_file(options_.tls->cert_chain_path, ec);
      if (ec) return MakeError(ErrorCode::kInvalidArgument, "cannot load TLS certificate " + options_.tls->cert_chain_path + ": " + ec.message());
      tls_->use_private_key_file(options_.tls->private_key_path, ssl::context::pem, ec);
      if (ec) return MakeError(ErrorCode::kInvalidArgument, "cannot load TLS key " + options_.tls->private_key_path + ": " + ec.message());
    }
    beast::error_code ec;
    std::string host = options_.host == "localhost" ? "127.0.0.1" : options_.host;
    auto address = net::ip::make_address(host, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "listen address '" + options_.host + "' is not an IP address");
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable, "cannot listen on " + options_.host + ":" +
                                                    std::to_string(options_.port) + ": " + ec.message());
    }
    const uint16_t port = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < options_.io_threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
    return port;
  }

  void Shutdown(int grace_seconds) {
    if (threads_.empty()) return;
    state_->stopping.store(true);
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_seconds);
    while (state_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (state_->in_flight.load() > 0) {
      LogWarning(std::to_string(state_->in_flight.load()) + " requests still in flight after the grace period: closing");
    }
    {
      std::unique_lock lock(state_->delivery_mutex);
      state_->closed = true;
    }
    keep_running_.reset();
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    state_->pool.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        beast::error_code ep_ec;
        auto remote = socket.remote_endpoint(ep_ec);
        std::string ip = ep_ec ? std::string() : remote.address().to_string();
        socket.set_option(tcp::no_delay(true), ep_ec);
        if (tls_) {
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls_), state_, ip)->Run();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), state_, ip)->Run();
        }
      }
      Accept();
    });
  }

  HttpServerOptions options_;
  net::io_context ioc_;
  // While a request runs on the worker pool the io_context may have no pending operation of its
  // own; without this guard its threads would return from run() and the response, posted back to
  // the connection's strand, would never be written.
  net::executor_work_guard<net::io_context::executor_type> keep_running_;
  tcp::acceptor acceptor_;
  std::optional<ssl::context> tls_;
  std::shared_ptr<SharedState> state_;
  std::vector<std::thread> threads_;
};

HttpServer::HttpServer(HttpServerOptions options, RequestHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { impl_->Shutdown(0); }

Result<uint16_t> HttpServer::Start() { return impl_->Start(); }

void HttpServer::Shutdown(int grace_seconds) { impl_->Shutdown(grace_seconds); }

}  // namespace coffer::api
