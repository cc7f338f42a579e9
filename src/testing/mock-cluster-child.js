// @ts-check
/*
 * The process that hosts librdkafka's mock cluster for startMockCluster(). Plain JavaScript so
 * that it runs as it is, from src/ under ts-jest as well as from dist/.
 *
 * It drives librdkafka's mock-cluster C API (rdkafka_mock.h) through koffi, from the librdkafka
 * of a binding (node-rdkafka's, or @confluentinc/kafka-javascript's: `librdkafka()` below): it
 * creates a bare rd_kafka_t handle, a mock cluster
 * on it, the topics it was asked for, and sends the brokers' addresses to the parent over IPC.
 * Then it answers the parent's requests ({ type: 'call', id, op, args }) one by one, each once
 * the C call has returned, i.e. once the fault is in effect: { type: 'result', id, error? }.
 *
 * It exits when the parent goes away (the IPC channel closes) or asks it to ('stop'); an
 * interrupt (SIGINT) is the parent's to handle.
 */
'use strict';

const { dirname, join } = require('node:path');
const { existsSync } = require('node:fs');

/** @param {unknown} message */
function send(message) {
  if (process.send && process.connected) process.send(message);
}

// The parent died or disconnected: nobody can reach this cluster any more.
process.on('disconnect', () => process.exit(0));

// Ctrl-C in a terminal sends SIGINT to the whole foreground process group, this process
// included. The parent decides what an interrupt means (a graceful shutdown still needs the
// cluster, to deliver what is pending): this process goes when the parent does, through the
// `disconnect` above, the parent's exit hook, or the sentinel of a paused cluster.
process.on('SIGINT', () => {});

/** @param {string} message */
function die(message) {
  send({ type: 'error', message });
  process.exit(1);
}

/** @type {{ brokers: number, topics: Array<{ name: string, partitions: number, replicationFactor?: number }>, groupInitialRebalanceDelayMs: number, binding?: string }} */
const options = JSON.parse(process.argv[2] ?? '{"brokers":3,"topics":[],"groupInitialRebalanceDelayMs":0}');

const NODE_RDKAFKA = 'node-rdkafka';
const CKJS = '@confluentinc/kafka-javascript';

/**
 * Where a binding's librdkafka is, under its package folder: the shared library beside its addon
 * (node-rdkafka; CKJS built from source with CKJS_LINKING=dynamic), else the addon itself, into
 * which CKJS's prebuilt binary links librdkafka statically (the mock API's symbols exported).
 * @param {string} name
 * @returns {string | undefined}
 */
function libraryOf(name) {
  let root;
  try {
    root = dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
  const names = ['librdkafka.so.1', 'librdkafka.so', 'librdkafka.1.dylib', 'librdkafka.dylib', 'librdkafka.dll'];
  for (const dir of [join(root, 'build', 'deps'), join(root, 'build', 'Release')]) {
    for (const file of names) {
      if (existsSync(join(dir, file))) return join(dir, file);
    }
  }
  const addon = join(root, 'build', 'Release', name === CKJS ? 'confluent-kafka-javascript.node' : 'node-librdkafka.node');
  return existsSync(addon) ? addon : undefined;
}

/**
 * The librdkafka of the binding asked for (`options.binding`), else node-rdkafka's, else CKJS's.
 * @returns {{ binding: string, path: string }}
 */
function librdkafka() {
  const order = options.binding ? [options.binding] : [NODE_RDKAFKA, CKJS];
  for (const binding of order) {
    const path = libraryOf(binding);
    if (path !== undefined) return { binding, path };
  }
  const none = order.length === 1 ? `${order[0]} is not installed` : `neither ${order.join(' nor ')} is installed`;
  throw new Error(`no librdkafka found: ${none} (with its native build)`);
}

/*
 * koffi stays on its 2.x line (package.json): its package carries every platform's prebuilt binary,
 * where 3.x moved them to optional dependencies that `--omit=optional` (a CKJS install, README.md)
 * leaves out, and koffi then compiled itself with cmake.
 */
/** @type {import('koffi')} */
let koffi;
/** @type {import('koffi').IKoffiLib} */
let lib;
/** @type {{ binding: string, path: string }} */
let found;
try {
  koffi = require('koffi');
  found = librdkafka();
  lib = koffi.load(found.path);
} catch (err) {
  die(`cannot load librdkafka through koffi: ${err instanceof Error ? err.message : String(err)}`);
  throw err;
}

const C = {
  conf_new: lib.func('void *rd_kafka_conf_new()'),
  conf_set: lib.func('int rd_kafka_conf_set(void *conf, const char *name, const char *value, void *errstr, size_t errstr_size)'),
  kafka_new: lib.func('void *rd_kafka_new(int type, void *conf, void *errstr, size_t errstr_size)'),
  err2name: lib.func('const char *rd_kafka_err2name(int err)'),
  err2str: lib.func('const char *rd_kafka_err2str(int err)'),
  cluster_new: lib.func('void *rd_kafka_mock_cluster_new(void *rk, int broker_cnt)'),
  bootstraps: lib.func('const char *rd_kafka_mock_cluster_bootstraps(void *mcluster)'),
  topic_create: lib.func('int rd_kafka_mock_topic_create(void *mcluster, const char *topic, int partition_cnt, int replication_factor)'),
  broker_set_down: lib.func('int rd_kafka_mock_broker_set_down(void *mcluster, int32_t broker_id)'),
  broker_set_up: lib.func('int rd_kafka_mock_broker_set_up(void *mcluster, int32_t broker_id)'),
  broker_set_rtt: lib.func('int rd_kafka_mock_broker_set_rtt(void *mcluster, int32_t broker_id, int rtt_ms)'),
  push_request_errors_array: lib.func(
    'void rd_kafka_mock_push_request_errors_array(void *mcluster, int16_t ApiKey, size_t cnt, const int32_t *errors)',
  ),
  clear_request_errors: lib.func('void rd_kafka_mock_clear_request_errors(void *mcluster, int16_t ApiKey)'),
  broker_push_request_error_rtts: lib.func(
    'int rd_kafka_mock_broker_push_request_error_rtts(void *mcluster, int32_t broker_id, int16_t ApiKey, size_t cnt, ...)',
  ),
  partition_set_leader: lib.func('int rd_kafka_mock_partition_set_leader(void *mcluster, const char *topic, int32_t partition, int32_t broker_id)'),
  coordinator_set: lib.func('int rd_kafka_mock_coordinator_set(void *mcluster, const char *key_type, const char *key, int32_t broker_id)'),
  group_initial_rebalance_delay_ms: lib.func('void rd_kafka_mock_group_initial_rebalance_delay_ms(void *mcluster, int32_t delay_ms)'),
  version_str: lib.func('const char *rd_kafka_version_str()'),
};

/**
 * librdkafka >= 2.15's rd_kafka_mock_set_controller_id, else null. Without a controller the mock's
 * metadata names broker 0, which does not exist, and a request that needs the controller
 * (describeTopics, CreateTopics) waits for it until its timeout.
 * @type {((mcluster: unknown, id: number) => void) | null}
 */
let setControllerId = null;
try {
  setControllerId = lib.func('void rd_kafka_mock_set_controller_id(void *mcluster, int32_t controller_id)');
} catch {
  // An older librdkafka (node-rdkafka 3.6's 2.12): no controller.
}

/**
 * librdkafka's error names (without the ERR_ prefix) and their codes, read from this very
 * librdkafka so that the parent can check names synchronously.
 * @returns {Record<string, number>}
 */
function errorCodes() {
  /** @type {Record<string, number>} */
  const codes = {};
  for (let code = -200; code < 200; code++) {
    const name = C.err2name(code);
    // Codes without a name come back as "ERR_<n>?".
    if (typeof name === 'string' && /^[A-Z_][A-Z0-9_]*$/.test(name) && !name.startsWith('ERR_')) codes[name] = code;
  }
  return codes;
}

/**
 * A rd_kafka_resp_err_t result: throws an error naming the call unless it is 0.
 * @param {string} call
 * @param {number} err
 */
function check(call, err) {
  if (err !== 0) {
    throw Object.assign(new Error(`${call} failed: ${C.err2str(err)}`), { call, code: err, codeName: C.err2name(err) });
  }
}

// A producer handle that never produces: the mock cluster needs one to live in.
const errstr = Buffer.alloc(512);
const conf = C.conf_new();
for (const [name, value] of [
  ['client.id', 'aio-rdkafka-mock-cluster'],
  ['log_level', '3'],
]) {
  if (C.conf_set(conf, name, value, errstr, errstr.length) !== 0) {
    die(`rd_kafka_conf_set(${name}) failed: ${errstr.toString('utf8').replace(/\0.*$/s, '')}`);
  }
}
const rk = C.kafka_new(0 /* RD_KAFKA_PRODUCER */, conf, errstr, errstr.length);
if (!rk) die(`rd_kafka_new failed: ${errstr.toString('utf8').replace(/\0.*$/s, '')}`);
const mcluster = C.cluster_new(rk, options.brokers);
if (!mcluster) die('rd_kafka_mock_cluster_new failed');
C.group_initial_rebalance_delay_ms(mcluster, options.groupInitialRebalanceDelayMs);
if (setControllerId !== null) setControllerId(mcluster, 1);

/** @param {number | 'all'} id */
function brokerIds(id) {
  return id === 'all' ? Array.from({ length: options.brokers }, (_, i) => i + 1) : [id];
}

/** @type {Record<string, (...args: any[]) => void>} */
const ops = {
  createTopic(name, partitions, replicationFactor) {
    check('rd_kafka_mock_topic_create', C.topic_create(mcluster, name, partitions, replicationFactor));
  },
  brokerDown(id) {
    for (const b of brokerIds(id)) check(`rd_kafka_mock_broker_set_down(${b})`, C.broker_set_down(mcluster, b));
  },
  brokerUp(id) {
    for (const b of brokerIds(id)) check(`rd_kafka_mock_broker_set_up(${b})`, C.broker_set_up(mcluster, b));
  },
  setRtt(id, ms) {
    for (const b of brokerIds(id)) check(`rd_kafka_mock_broker_set_rtt(${b})`, C.broker_set_rtt(mcluster, b, ms));
  },
  /** @param {number} apiKey @param {number[]} codes */
  pushErrors(apiKey, codes) {
    C.push_request_errors_array(mcluster, apiKey, codes.length, Int32Array.from(codes));
  },
  /** @param {number} brokerId @param {number} apiKey @param {number[]} codes @param {number} rttMs */
  pushBrokerErrors(brokerId, apiKey, codes, rttMs) {
    /** @type {unknown[]} */
    const varargs = [];
    for (const code of codes) varargs.push('int', code, 'int', rttMs);
    check(
      `rd_kafka_mock_broker_push_request_error_rtts(${brokerId})`,
      C.broker_push_request_error_rtts(mcluster, brokerId, apiKey, codes.length, ...varargs),
    );
  },
  clearErrors(apiKey) {
    C.clear_request_errors(mcluster, apiKey);
  },
  moveLeader(topic, partition, brokerId) {
    check('rd_kafka_mock_partition_set_leader', C.partition_set_leader(mcluster, topic, partition, brokerId));
  },
  setCoordinator(keyType, key, brokerId) {
    check('rd_kafka_mock_coordinator_set', C.coordinator_set(mcluster, keyType, key, brokerId));
  },
};

try {
  for (const topic of options.topics) ops.createTopic(topic.name, topic.partitions, topic.replicationFactor ?? Math.min(3, options.brokers));
} catch (err) {
  die(err instanceof Error ? err.message : String(err));
}

process.on('message', (/** @type {any} */ message) => {
  if (message === 'stop') process.exit(0);
  if (message?.type !== 'call') return;
  const op = ops[message.op];
  try {
    if (!op) throw new Error(`unknown operation ${String(message.op)}`);
    op(...message.args);
    send({ type: 'result', id: message.id });
  } catch (err) {
    const e = /** @type {any} */ (err);
    send({
      type: 'result',
      id: message.id,
      error: { message: String(e?.message), call: e?.call, code: e?.code, codeName: e?.codeName },
    });
  }
});

send({
  type: 'ready',
  bootstrapServers: C.bootstraps(mcluster),
  errorCodes: errorCodes(),
  binding: found.binding,
  librdkafkaVersion: C.version_str(),
  controller: setControllerId !== null,
});
