/*
 * aio-rdkafka's delivery plugin for librdkafka: a background poll thread.
 *
 * node-rdkafka serves librdkafka's main queue (delivery reports, errors, statistics, logs) only
 * when JavaScript calls poll(), so a delivery report waits for the next poll tick. Its callbacks
 * are thread-safe, though: they queue the event and wake JavaScript through uv_async. So this
 * plugin, loaded through `plugin.library.paths`, claims one configuration property,
 * `aio.poll.background` ("true" to enable), and when the client's main thread starts it starts
 * one more thread that blocks in rd_kafka_poll(): the moment librdkafka queues a report, this
 * thread serves it and node-rdkafka hands it to JavaScript. Nothing spins (the thread sleeps in
 * librdkafka's queue wait), JavaScript does no polling work per report, and linger.ms and every
 * other setting keep their meaning: the thread only serves the queue, as poll() does.
 * The thread stops, and is joined, when the client is destroyed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define PROPERTY "aio.poll.background"
#define NAME "aio-rdkafka-poller"
/* How long one blocking poll lasts when nothing comes; the stop request cuts it short anyway. */
#define POLL_TIMEOUT_MS 1000

/* Per configuration object: whether the background poll was asked for. */
struct conf_state {
  int enabled;
};

/*
 * Per client: its poll thread. `started`, `thread` and `main_queue` are written and read by
 * librdkafka's main thread only (on_thread_start when it starts, on_destroy when it ends, or the
 * thread that calls rd_kafka_new when creation fails before the main thread exists); `stop` is
 * written by that thread and read by the poll thread, so it is atomic.
 */
struct client_state {
  rd_kafka_t *rk;
  rd_kafka_queue_t *main_queue;
  pthread_t thread;
  int started;
  atomic_int stop;
};

static void add_conf_interceptors(rd_kafka_conf_t *conf, struct conf_state *state);

static rd_kafka_conf_res_t on_conf_set(rd_kafka_conf_t *conf, const char *name, const char *val, char *errstr,
                                       size_t errstr_size, void *opaque) {
  struct conf_state *state = opaque;
  (void)conf;
  if (strcmp(name, PROPERTY) != 0) return RD_KAFKA_CONF_UNKNOWN;
  if (val == NULL || strcmp(val, "false") == 0) {
    state->enabled = 0;
  } else if (strcmp(val, "true") == 0) {
    state->enabled = 1;
  } else {
    snprintf(errstr, errstr_size, "%s must be \"true\" or \"false\", got \"%s\"", PROPERTY, val);
    return RD_KAFKA_CONF_INVALID;
  }
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

static void *poll_thread(void *opaque) {
  struct client_state *client = opaque;
  while (!atomic_load_explicit(&client->stop, memory_order_acquire)) rd_kafka_poll(client->rk, POLL_TIMEOUT_MS);
  return NULL;
}

static rd_kafka_resp_err_t on_thread_start(rd_kafka_t *rk, rd_kafka_thread_type_t thread_type, const char *thread_name,
                                           void *opaque) {
  struct client_state *client = opaque;
  (void)thread_name;
  /* The main queue exists once librdkafka's main thread runs: start polling it then, once. */
  if (thread_type != RD_KAFKA_THREAD_MAIN || client->started) return RD_KAFKA_RESP_ERR_NO_ERROR;
  client->main_queue = rd_kafka_queue_get_main(rk);
  if (client->main_queue != NULL && pthread_create(&client->thread, NULL, poll_thread, client) == 0) client->started = 1;
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_destroy(rd_kafka_t *rk, void *opaque) {
  struct client_state *client = opaque;
  (void)rk;
  if (client->started) {
    atomic_store_explicit(&client->stop, 1, memory_order_release);
    /* Cuts the thread's blocking poll short. */
    rd_kafka_queue_yield(client->main_queue);
    pthread_join(client->thread, NULL);
  }
  if (client->main_queue != NULL) rd_kafka_queue_destroy(client->main_queue);
  free(client);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t on_new(rd_kafka_t *rk, const rd_kafka_conf_t *conf, void *opaque, char *errstr,
                                  size_t errstr_size) {
  struct conf_state *state = opaque;
  (void)conf, (void)errstr, (void)errstr_size;
  if (!state->enabled) return RD_KAFKA_RESP_ERR_NO_ERROR;
  struct client_state *client = calloc(1, sizeof(*client));
  if (client == NULL) return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
  client->rk = rk;
  atomic_init(&client->stop, 0);
  rd_kafka_interceptor_add_on_destroy(rk, NAME, on_destroy, client);
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
