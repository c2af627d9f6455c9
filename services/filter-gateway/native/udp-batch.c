/*
 * Batched UDP for the DNS hot path: recvmmsg and sendmmsg, one call into JavaScript per
 * batch instead of one per datagram.
 *
 * Why it exists: on Node 20, dgram costs one libuv read, one MakeCallback (with its microtask
 * checkpoint), a Buffer and an rinfo object per datagram, and a SendWrap plus a syscall per
 * reply. That is most of a busy gateway worker (bench/dns/RESULTS-dns.md). Here the kernel hands
 * over up to BATCH datagrams per syscall into one buffer JavaScript already holds, JavaScript
 * answers them into one out buffer, and they leave in one sendmmsg. SO_REUSEPORT also lets every
 * cluster worker own a socket on the same port (Node 20's dgram cannot).
 *
 * Shared memory with JavaScript (all allocated by the caller, kept alive by references here):
 *   in    BATCH slots of SLOT bytes: datagram i at i * SLOT
 *   meta  int32: [i*4 + 0] length of datagram i, [i*4 + 1] its sockaddr length, [i*4 + 2] 1 when
 *         it was longer than SLOT and cut (no DNS query is: JavaScript answers FORMERR);
 *         replies at META_REPLIES + r*4: [0] offset in out, [1] length, [2] datagram index
 *   addrs BATCH slots of ADDR_SLOT bytes: the sockaddr datagram i came from
 *   out   the replies, written by JavaScript
 * The callback gets the datagram count and returns the number of replies it wrote.
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 64
#define SLOT 4096
#define ADDR_SLOT 32
#define META_REPLIES (BATCH * 4)
#define META_INTS (META_REPLIES + BATCH * 4)
/* Batches taken per readiness event before yielding to the rest of the event loop. */
#define MAX_ROUNDS 16
#define MAX_CHUNKS 16

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int closed;
  /* The memory lives until both the poll handle has closed and the JS handle was collected,
     so a late sendTo or stats on a closed socket reads a closed flag, never freed memory. */
  int poll_closed;
  int finalized;
  napi_ref on_batch;
  napi_ref buffers[4];
  napi_async_context async_ctx;
  napi_ref resource;
  uint8_t *in;
  int32_t *meta;
  uint8_t *addrs;
  uint8_t *out;
  size_t out_len;
  struct mmsghdr rmsgs[BATCH];
  struct iovec riov[BATCH];
  struct mmsghdr smsgs[BATCH];
  struct iovec siov[BATCH];
  /* received, replies sent, send errors, oversized (cut), batches */
  double stats[5];
} udp_batch_t;

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code_v, msg_v, error;
  const char *code = err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "EUDPBATCH";
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &msg_v);
  napi_create_error(env, code_v, msg_v, &error);
  napi_set_named_property(env, error, "code", code_v);
  napi_throw(env, error);
  return NULL;
}

static void send_replies(udp_batch_t *s, int count) {
  for (int r = 0; r < count; r++) {
    const int32_t *m = s->meta + META_REPLIES + r * 4;
    int32_t off = m[0], len = m[1], idx = m[2];
    if (off < 0 || len <= 0 || idx < 0 || idx >= BATCH || (size_t)off + (size_t)len > s->out_len) { count = r; break; }
    s->siov[r].iov_base = s->out + off;
    s->siov[r].iov_len = (size_t)len;
    memset(&s->smsgs[r].msg_hdr, 0, sizeof s->smsgs[r].msg_hdr);
    s->smsgs[r].msg_hdr.msg_iov = &s->siov[r];
    s->smsgs[r].msg_hdr.msg_iovlen = 1;
    s->smsgs[r].msg_hdr.msg_name = s->addrs + idx * ADDR_SLOT;
    s->smsgs[r].msg_hdr.msg_namelen = (socklen_t)s->meta[idx * 4 + 1];
  }
  int done = 0;
  while (done < count) {
    int n = sendmmsg(s->fd, s->smsgs + done, (unsigned)(count - done), MSG_DONTWAIT);
    if (n > 0) { done += n; s->stats[1] += n; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { s->stats[2] += count - done; return; }
    /* This datagram's destination failed (say, EPERM or ENETUNREACH): skip it, send the rest. */
    s->stats[2] += 1;
    done += 1;
  }
}

static int deliver(udp_batch_t *s, int count) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  int replies = 0;
  napi_value cb, resource, argv[1], result;
  if (napi_get_reference_value(env, s->on_batch, &cb) == napi_ok &&
      napi_get_reference_value(env, s->resource, &resource) == napi_ok &&
      napi_create_int32(env, count, &argv[0]) == napi_ok) {
    napi_status st = napi_make_callback(env, s->async_ctx, resource, cb, 1, argv, &result);
    if (st == napi_ok) {
      int32_t r = 0;
      if (napi_get_value_int32(env, result, &r) == napi_ok && r > 0) replies = r > BATCH ? BATCH : r;
    } else {
      /* The JavaScript side catches its own errors; anything that still escapes is dropped
         here rather than taking the gateway down from inside a poll callback. */
      napi_value ignored;
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &ignored);
    }
  }
  napi_close_handle_scope(env, scope);
  return replies;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  udp_batch_t *s = (udp_batch_t *)handle->data;
  (void)events;
  if (status < 0 || s->closed) return;
  for (int round = 0; round < MAX_ROUNDS && !s->closed; round++) {
    for (int i = 0; i < BATCH; i++) {
      s->riov[i].iov_base = s->in + i * SLOT;
      s->riov[i].iov_len = SLOT;
      memset(&s->rmsgs[i].msg_hdr, 0, sizeof s->rmsgs[i].msg_hdr);
      s->rmsgs[i].msg_hdr.msg_iov = &s->riov[i];
      s->rmsgs[i].msg_hdr.msg_iovlen = 1;
      s->rmsgs[i].msg_hdr.msg_name = s->addrs + i * ADDR_SLOT;
      s->rmsgs[i].msg_hdr.msg_namelen = ADDR_SLOT;
    }
    int n = recvmmsg(s->fd, s->rmsgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    for (int i = 0; i < n; i++) {
      int truncated = (s->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      if (truncated) s->stats[3] += 1;
      s->meta[i * 4] = (int32_t)s->rmsgs[i].msg_len;
      s->meta[i * 4 + 1] = (int32_t)s->rmsgs[i].msg_hdr.msg_namelen;
      s->meta[i * 4 + 2] = truncated;
    }
    s->stats[0] += n;
    s->stats[4] += 1;
    int replies = deliver(s, n);
    if (s->closed) return;
    if (replies > 0) send_replies(s, replies);
    if (n < BATCH) return;
  }
}

static void on_poll_closed(uv_handle_t *handle) {
  udp_batch_t *s = (udp_batch_t *)handle->data;
  napi_env env = s->env;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  napi_delete_reference(env, s->on_batch);
  for (int i = 0; i < 4; i++) napi_delete_reference(env, s->buffers[i]);
  napi_async_destroy(env, s->async_ctx);
  napi_delete_reference(env, s->resource);
  s->poll_closed = 1;
  if (s->finalized) free(s);
}

static void stop_polling(udp_batch_t *s) {
  if (s->closed) return;
  s->closed = 1;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_poll_closed);
}

/* The JS handle was collected: close the socket if nobody did, free once the poll has closed. */
static void on_handle_finalized(napi_env env, void *data, void *hint) {
  udp_batch_t *s = (udp_batch_t *)data;
  s->finalized = 1;
  if (!s->closed) stop_polling(s);
  else if (s->poll_closed) free(s);
}

static int get_buffer(napi_env env, napi_value v, void **data, size_t *len) {
  bool is = false;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

/* The arguments of a call whose first argument is a handle; NULL (with a JS error) when it is not one. */
static udp_batch_t *handle_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok ||
      napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "not a udp-batch handle");
    return NULL;
  }
  return (udp_batch_t *)p;
}

/* open(host, port, reusePort, in, meta, addrs, out, onBatch) → handle */
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) { napi_throw_type_error(env, NULL, "open needs 8 arguments"); return NULL; }
  char host[64];
  size_t host_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "host must be a string"); return NULL;
  }
  int32_t port = 0;
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 0 || port > 65535) {
    napi_throw_range_error(env, NULL, "port must be 0..65535"); return NULL;
  }
  bool reuse_port = false;
  if (napi_get_value_bool(env, argv[2], &reuse_port) != napi_ok) {
    napi_throw_type_error(env, NULL, "reusePort must be a boolean"); return NULL;
  }
  void *in, *meta, *addrs, *out;
  size_t in_len, meta_len, addrs_len, out_len;
  if (!get_buffer(env, argv[3], &in, &in_len) || in_len < BATCH * SLOT ||
      !get_buffer(env, argv[4], &meta, &meta_len) || meta_len < META_INTS * 4 || ((uintptr_t)meta & 3) != 0 ||
      !get_buffer(env, argv[5], &addrs, &addrs_len) || addrs_len < BATCH * ADDR_SLOT ||
      !get_buffer(env, argv[6], &out, &out_len) || out_len < SLOT) {
    napi_throw_type_error(env, NULL, "in, meta, addrs and out must be Buffers of the advertised sizes"); return NULL;
  }
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[7], &t));
  if (t != napi_function) { napi_throw_type_error(env, NULL, "onBatch must be a function"); return NULL; }

  struct sockaddr_storage sa;
  socklen_t sa_len;
  memset(&sa, 0, sizeof sa);
  int family;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    family = AF_INET; v4->sin_family = AF_INET; v4->sin_port = htons((uint16_t)port); sa_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    family = AF_INET6; v6->sin6_family = AF_INET6; v6->sin6_port = htons((uint16_t)port); sa_len = sizeof *v6;
  } else {
    napi_throw_type_error(env, NULL, "host must be an IPv4 or IPv6 literal"); return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  /* Only cluster workers share a port: a lone gateway keeps EADDRINUSE when the port is taken. */
  if ((reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
      bind(fd, (struct sockaddr *)&sa, sa_len) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }

  udp_batch_t *s = calloc(1, sizeof *s);
  if (!s) { close(fd); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  s->env = env;
  s->fd = fd;
  s->in = in; s->meta = meta; s->addrs = addrs; s->out = out; s->out_len = out_len;
  uv_loop_t *loop = NULL;
  napi_value resource, name, handle;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &s->poll, fd) != 0) {
    close(fd); free(s); napi_throw_error(env, NULL, "could not watch the socket"); return NULL;
  }
  s->poll.data = s;
  napi_create_reference(env, argv[7], 1, &s->on_batch);
  for (int i = 0; i < 4; i++) napi_create_reference(env, argv[3 + i], 1, &s->buffers[i]);
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &s->resource);
  napi_create_string_utf8(env, "UDPBATCH", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &s->async_ctx);
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  CHECK(napi_create_external(env, s, on_handle_finalized, NULL, &handle));
  return handle;
}

static napi_value udp_port(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  udp_batch_t *s = handle_args(env, info, 1, argv);
  if (!s) return NULL;
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  if (s->fd < 0 || getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0) return throw_errno(env, "getsockname", s->fd < 0 ? EBADF : errno);
  int port = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port) : ntohs(((struct sockaddr_in *)&sa)->sin_port);
  CHECK(napi_create_int32(env, port, &result));
  return result;
}

/* sendTo(handle, chunks: Buffer[], addr: Buffer, addrLen) → 0 or errno: a reply that was not ready within its batch. */
static napi_value udp_send_to(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  udp_batch_t *s = handle_args(env, info, 4, argv);
  if (!s) return NULL;
  uint32_t n = 0;
  bool is_array = false;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok || n == 0 || n > MAX_CHUNKS) {
    napi_throw_type_error(env, NULL, "chunks must be an array of 1..16 Buffers"); return NULL;
  }
  struct iovec iov[MAX_CHUNKS];
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    size_t len;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || !get_buffer(env, el, &iov[i].iov_base, &len)) {
      napi_throw_type_error(env, NULL, "chunks must be Buffers"); return NULL;
    }
    iov[i].iov_len = len;
  }
  void *addr;
  size_t addr_len;
  int32_t name_len = 0;
  if (!get_buffer(env, argv[2], &addr, &addr_len) || napi_get_value_int32(env, argv[3], &name_len) != napi_ok ||
      name_len <= 0 || (size_t)name_len > addr_len) {
    napi_throw_type_error(env, NULL, "addr must be a Buffer holding a sockaddr of addrLen bytes"); return NULL;
  }
  int err = 0;
  if (s->closed || s->fd < 0) {
    err = EBADF;
  } else {
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_name = addr;
    mh.msg_namelen = (socklen_t)name_len;
    mh.msg_iov = iov;
    mh.msg_iovlen = n;
    ssize_t r;
    do { r = sendmsg(s->fd, &mh, MSG_DONTWAIT); } while (r < 0 && errno == EINTR);
    if (r < 0) { err = errno; s->stats[2] += 1; } else s->stats[1] += 1;
  }
  CHECK(napi_create_int32(env, err, &result));
  return result;
}

static napi_value udp_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  udp_batch_t *s = handle_args(env, info, 1, argv);
  if (!s) return NULL;
  CHECK(napi_create_array_with_length(env, 5, &result));
  for (uint32_t i = 0; i < 5; i++) {
    napi_value v;
    CHECK(napi_create_double(env, s->stats[i], &v));
    CHECK(napi_set_element(env, result, i, v));
  }
  return result;
}

static napi_value udp_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  udp_batch_t *s = handle_args(env, info, 1, argv);
  if (!s) return NULL;
  stop_polling(s);
  return NULL;
}

static napi_value export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f) == napi_ok) napi_set_named_property(env, exports, name, f);
  return exports;
}

static napi_value export_int(napi_env env, napi_value exports, const char *name, int32_t value) {
  napi_value v;
  if (napi_create_int32(env, value, &v) == napi_ok) napi_set_named_property(env, exports, name, v);
  return exports;
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "open", udp_open);
  export_fn(env, exports, "port", udp_port);
  export_fn(env, exports, "sendTo", udp_send_to);
  export_fn(env, exports, "stats", udp_stats);
  export_fn(env, exports, "close", udp_close);
  export_int(env, exports, "BATCH", BATCH);
  export_int(env, exports, "SLOT", SLOT);
  export_int(env, exports, "ADDR_SLOT", ADDR_SLOT);
  export_int(env, exports, "META_REPLIES", META_REPLIES);
  export_int(env, exports, "META_INTS", META_INTS);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
