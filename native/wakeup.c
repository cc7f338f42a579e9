/*
 * aio-rdkafka's wake-up plugin for librdkafka.
 *
 * librdkafka can signal a file descriptor whenever its main queue (delivery reports, errors,
 * statistics, logs: what rd_kafka_poll() serves) goes from empty to non-empty:
 * rd_kafka_queue_io_event_enable(). node-rdkafka does not expose that call, and it needs the
 * client handle, which only librdkafka's plugin interface gives away. So this plugin, loaded
 * through `plugin.library.paths`, claims one configuration property, `aio.wakeup.socket` (the path
 * of a Unix socket the JavaScript side listens on), connects to it when the client is created,
 * and hands the connection to rd_kafka_queue_io_event_enable(). JavaScript polls when a byte
 * arrives: a delivery report reaches its Promise without waiting for a timer tick, and nothing
 * spins while the producer waits. librdkafka writes once per non-empty period (it re-arms when
 * the queue is served), so the socket never floods. linger.ms and every other setting keep their
 * meaning: the plugin only observes the queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define PROPERTY "aio.wakeup.socket"
#define NAME "aio-rdkafka-wakeup"

/* Per configuration object: the socket path it was given, if any. */
struct conf_state {
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Per client: the connected socket librdkafka writes to. */
struct client_state {
  int fd;
};

static void add_conf_interceptors(rd_kafka_conf_t *conf, struct conf_state *state);

static rd_kafka_conf_res_t on_conf_set(rd_kafka_conf_t *conf, const char *name, const char *val, char *errstr,
                                       size_t errstr_size, void *opaque) {
  struct conf_state *state = opaque;
  (void)conf;
  if (strcmp(name, PROPERTY) != 0) return RD_KAFKA_CONF_UNKNOWN;
  if (val == NULL) {
    state->path[0] = '\0';
    return RD_KAFKA_CONF_OK;
  }
  if (strlen(val) >= sizeof(state->path)) {
    snprintf(errstr, errstr_size, "%s: path longer than %zu bytes", PROPERTY, sizeof(state->path) - 1);
    return RD_KAFKA_CONF_INVALID;
  }
  strcpy(state->path, val);
  return RD_KAFKA_CONF_OK;
}

static rd_kafka_resp_err_t on_conf_dup(rd_kafka_conf_t *new_conf, const rd_kafka_conf_t *old_conf, size_t filter_cnt,
                                       const char **filter, void *opaque) {
  (void)old_conf, (void)filter_cnt, (void)filter, (void)opaque;
  /* The property itself is copied after this call, through on_conf_set on the new object. */
  struct conf_state *copy = calloc(1, sizeof(*copy));
  if (copy == NULL) return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
  add_conf_interceptors(new_conf, copy);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_conf_destroy(void *opaque) {
  free(opaque);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static void set_main_queue_fd(rd_kafka_t *rk, int fd) {
  rd_kafka_queue_t *queue = rd_kafka_queue_get_main(rk);
  if (queue == NULL) return;
  if (fd >= 0) rd_kafka_queue_io_event_enable(queue, fd, "w", 1);
  else rd_kafka_queue_io_event_enable(queue, -1, NULL, 0);
  rd_kafka_queue_destroy(queue);
}

static rd_kafka_resp_err_t on_destroy(rd_kafka_t *rk, void *opaque) {
  struct client_state *client = opaque;
  /* Stop librdkafka writing before the descriptor is closed (its number could be reused). */
  set_main_queue_fd(rk, -1);
  close(client->fd);
  free(client);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_thread_start(rd_kafka_t *rk, rd_kafka_thread_type_t thread_type, const char *thread_name,
                                           void *opaque) {
  struct client_state *client = opaque;
  (void)thread_name;
  if (thread_type == RD_KAFKA_THREAD_MAIN) set_main_queue_fd(rk, client->fd);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *opaque, char *errstr,
                                  size_t errstr_size) {
  struct conf_state *state = opaque;
  (void)conf;
  if (state->path[0] == '\0') return RD_KAFKA_RESP_ERR_NO_ERROR;

  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, state->path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
    snprintf(errstr, errstr_size, "%s: cannot connect to %s: %s", NAME, state->path, strerror(errno));
    if (fd >= 0) close(fd);
    return RD_KAFKA_RESP_ERR__TRANSPORT;
  }
  /* librdkafka writes from its own threads: never let a full socket block one of them. */
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  struct client_state *client = calloc(1, sizeof(*client));
  if (client == NULL) {
    close(fd);
    return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
  }
  client->fd = fd;
  rd_kafka_interceptor_add_on_destroy(rk, NAME, on_destroy, client);
  /* The main queue does not exist yet: it is hooked up when librdkafka's main thread starts. */
  rd_kafka_interceptor_add_on_thread_start(rk, NAME, on_thread_start, client);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static void add_conf_interceptors(rd_kafka_conf_t *conf, struct conf_state *state) {
  rd_kafka_conf_interceptor_add_on_conf_set(conf, NAME, on_conf_set, state);
  rd_kafka_conf_interceptor_add_on_conf_dup(conf, NAME, on_conf_dup, state);
  rd_kafka_conf_interceptor_add_on_conf_destroy(conf, NAME, on_conf_destroy, state);
  rd_kafka_conf_interceptor_add_on_new(conf, NAME, on_new, state);
}

/* The plugin entry point librdkafka calls when `plugin.library.paths` names this library. */
rd_kafka_resp_err_t conf_init(rd_kafka_conf_t *conf, void **plug_opaquep, char *errstr, size_t errstr_size) {
  (void)plug_opaquep, (void)errstr, (void)errstr_size;
  struct conf_state *state = calloc(1, sizeof(*state));
  if (state == NULL) return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
  add_conf_interceptors(conf, state);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}
