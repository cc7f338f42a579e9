/*
 * Drives native/poller.c the way node-rdkafka does, without Node, so that ThreadSanitizer,
 * AddressSanitizer, helgrind and memcheck see only librdkafka, the plugin and this file
 * (scripts/sanitize-poller.sh builds and runs it; docs/reliability.md has the results).
 *
 *   poller-stress lifecycle PLUGIN N   N producers, each with the plugin's poll thread, its own
 *                                      mock cluster, 200 messages produced and destroyed with
 *                                      their delivery reports in flight (every other one after
 *                                      a flush): the poll thread's start, serving and stop.
 *   poller-stress refusals PLUGIN N    N rounds of configurations librdkafka refuses in
 *                                      rd_kafka_new(), before and after the plugin's on_new()
 *                                      (a missing CA file, an unsupported SASL mechanism, an
 *                                      unknown assignor), each conf destroyed as the C++ API
 *                                      does. On librdkafka < 2.13 this is issue #4142 itself:
 *                                      run it against a librdkafka with 477eb2ef8.
 *
 * Exit status 0 when every producer was created and every refusal refused.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#if defined(__SANITIZE_THREAD__)
/*
 * librdkafka starts its threads with C11 thrd_create, which glibc implements by calling its
 * internal pthread_create: ThreadSanitizer does not see those threads start or end and crashes in
 * the first instrumented function they run (the plugin's on_thread_start). Defined here, in the
 * executable, these take precedence for librdkafka and go through the intercepted pthread calls.
 * (librdkafka itself is not instrumented: its own accesses are not checked, only the plugin's and
 * this file's; scripts/sanitize-poller.sh suppresses reports from librdkafka's intercepted calls.)
 */
#include <pthread.h>
#include <threads.h>

struct trampoline {
  thrd_start_t func;
  void *arg;
};

static void *run_trampoline(void *opaque) {
  struct trampoline t = *(struct trampoline *)opaque;
  free(opaque);
  return (void *)(intptr_t)t.func(t.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg) {
  struct trampoline *t = malloc(sizeof(*t));
  if (t == NULL) return thrd_nomem;
  t->func = func;
  t->arg = arg;
  if (pthread_create((pthread_t *)thr, NULL, run_trampoline, t) != 0) {
    free(t);
    return thrd_error;
  }
  return thrd_success;
}

int thrd_join(thrd_t thr, int *res) {
  void *value;
  if (pthread_join((pthread_t)thr, &value) != 0) return thrd_error;
  if (res != NULL) *res = (int)(intptr_t)value;
  return thrd_success;
}

int thrd_detach(thrd_t thr) {
  return pthread_detach((pthread_t)thr) == 0 ? thrd_success : thrd_error;
}

#endif

static atomic_int delivered;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
  (void)rk, (void)message, (void)opaque;
  atomic_fetch_add(&delivered, 1);
}

static rd_kafka_conf_t *plugin_conf(const char *plugin) {
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "plugin.library.paths", plugin, errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "aio.poll.background", "true", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "plugin refused: %s\n", errstr);
    exit(2);
  }
  return conf;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s refused: %s\n", name, errstr);
    exit(2);
  }
}

static int lifecycle(const char *plugin, int rounds) {
  for (int i = 0; i < rounds; i++) {
    char errstr[512];
    rd_kafka_conf_t *conf = plugin_conf(plugin);
    set(conf, "test.mock.num.brokers", "1");
    set(conf, "linger.ms", "1");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
      fprintf(stderr, "round %d: rd_kafka_new failed: %s\n", i, errstr);
      rd_kafka_conf_destroy(conf);
      return 1;
    }
    for (int m = 0; m < 200; m++) {
      rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("stress"), RD_KAFKA_V_VALUE("v", 1), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_END);
    }
    if (i % 2 == 0) rd_kafka_flush(rk, 2000);
    rd_kafka_destroy(rk);
  }
  printf("lifecycle: %d producers created and destroyed, %d delivery reports served\n", rounds, atomic_load(&delivered));
  return 0;
}

static int refusals(const char *plugin, int rounds) {
  static const char *const cases[][4] = {
      {"security.protocol", "ssl", "ssl.ca.location", "/nonexistent/ca.pem"},
      {"security.protocol", "sasl_plaintext", "sasl.mechanisms", "NOPE"},
      {"partition.assignment.strategy", "nope", NULL, NULL},
      {"transactional.id", "t", "enable.idempotence", "false"}, /* refused before on_new */
  };
  int refused = 0;
  for (int i = 0; i < rounds; i++) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
      char errstr[512];
      rd_kafka_conf_t *conf = plugin_conf(plugin);
      set(conf, cases[c][0], cases[c][1]);
      if (cases[c][2] != NULL) set(conf, cases[c][2], cases[c][3]);
      /* node-rdkafka's C++ API hands rd_kafka_new a copy and destroys it when creation fails. */
      rd_kafka_conf_t *copy = rd_kafka_conf_dup(conf);
      rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, copy, errstr, sizeof errstr);
      if (rk != NULL) {
        fprintf(stderr, "case %zu was not refused\n", c);
        rd_kafka_destroy(rk);
        rd_kafka_conf_destroy(conf);
        return 1;
      }
      rd_kafka_conf_destroy(copy);
      rd_kafka_conf_destroy(conf);
      refused++;
    }
  }
  printf("refusals: %d refused creations, each conf destroyed\n", refused);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s lifecycle|refusals PLUGIN ROUNDS\n", argv[0]);
    return 2;
  }
  int rounds = atoi(argv[3]);
  printf("librdkafka %s\n", rd_kafka_version_str());
  if (strcmp(argv[1], "lifecycle") == 0) return lifecycle(argv[2], rounds);
  if (strcmp(argv[1], "refusals") == 0) return refusals(argv[2], rounds);
  return 2;
}
