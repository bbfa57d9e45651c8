"""Frame names of each runtime: what a profiler or a thread dump of a Spring, Go, Django, PostgreSQL,
Redis, Envoy or nginx process really prints, filled in with the service's own code names.

Profiles (simulator.diagnostics.profiles) decide how much time goes where; this module only names the places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scenarios.language.stacks import Stack
from scenarios.language.topology import Service

KIND_LANGUAGE = {"service": "java", "queue": "java", "database": "postgres", "cache": "redis", "edge": "envoy"}
"""Runtime of a service without a ``stack`` by its kind."""

# Per runtime: the frames of each place time can go. "{pkg}", "{Svc}", "{svc}" are the service's names.
_JAVA = {
    "server": (
        "java.lang.Thread.run",
        "org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run",
        "org.apache.coyote.http11.Http11Processor.service",
        "org.apache.catalina.connector.CoyoteAdapter.service",
        "org.springframework.web.servlet.DispatcherServlet.doDispatch",
    ),
    "serialize": (
        "com.fasterxml.jackson.databind.ObjectMapper.writeValueAsBytes",
        "com.fasterxml.jackson.core.json.UTF8JsonGenerator.writeString",
    ),
    "client.service": (
        "org.springframework.web.client.RestTemplate.doExecute",
        "org.apache.http.impl.execchain.MainClientExec.execute",
        "java.net.SocketInputStream.socketRead0",
    ),
    "client.database": (
        "org.hibernate.query.internal.AbstractProducedQuery.list",
        "org.postgresql.jdbc.PgPreparedStatement.executeQuery",
        "org.postgresql.core.VisibleBufferedInputStream.read",
        "java.net.SocketInputStream.socketRead0",
    ),
    "client.cache": (
        "redis.clients.jedis.Jedis.get",
        "redis.clients.jedis.Protocol.read",
        "java.net.SocketInputStream.socketRead0",
    ),
    "pool_wait": (
        "com.zaxxer.hikari.HikariDataSource.getConnection",
        "com.zaxxer.hikari.pool.HikariPool.getConnection",
        "com.zaxxer.hikari.util.ConcurrentBag.borrow",
        "java.util.concurrent.SynchronousQueue.poll",
        "jdk.internal.misc.Unsafe.park",
    ),
    "gc": (
        "[GC] G1 Young Generation",
        "G1ParScanThreadState::trim_queue",
        "G1ParScanThreadState::do_copy_to_survivor_space",
    ),
    "gc.full": ("[GC] G1 Full GC", "G1FullGCMarker::mark_from_roots", "G1FullGCMarker::follow_marking_stacks"),
    "logger": (
        "ch.qos.logback.classic.Logger.info",
        "ch.qos.logback.core.OutputStreamAppender.subAppend",
        "ch.qos.logback.core.OutputStreamAppender.writeBytes",
        "java.io.FileOutputStream.writeBytes",
    ),
    "logger.lock": ("ch.qos.logback.classic.Logger.info", "ch.qos.logback.core.AppenderBase.doAppend"),
    "debug": ("ch.qos.logback.classic.Logger.debug", "org.slf4j.helpers.MessageFormatter.arrayFormat"),
    "exception": ("java.lang.Throwable.<init>", "java.lang.Throwable.fillInStackTrace"),
    "retry": ("org.springframework.retry.support.RetryTemplate.doExecute",),
    "backoff": ("org.springframework.retry.backoff.ExponentialBackOffPolicy.backOff", "java.lang.Thread.sleep"),
    "tls": (
        "sun.security.ssl.SSLSocketImpl.startHandshake",
        "sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts",
        "sun.security.validator.PKIXValidator.engineValidate",
        "java.lang.Throwable.fillInStackTrace",
    ),
    "idle": (
        "java.lang.Thread.run",
        "org.apache.tomcat.util.threads.ThreadPoolExecutor.getTask",
        "org.apache.tomcat.util.threads.TaskQueue.poll",
        "jdk.internal.misc.Unsafe.park",
    ),
    "accept": (
        "java.lang.Thread.run",
        "org.apache.tomcat.util.net.Acceptor.run",
        "org.apache.tomcat.util.threads.TaskQueue.offer",
    ),
    "handler": "{pkg}.web.{Svc}Controller.{verb}{Path}",
    "service_method": "{pkg}.{Svc}Service.{verb}{Path}",
    "client": "{pkg}.client.{Dep}Client.call",
    "hot.regex": (
        "{pkg}.routing.RouteRuleMatcher.matches",
        "java.util.regex.Matcher.matches",
        "java.util.regex.Pattern$Loop.match",
    ),
    "hot.parser": ("{pkg}.config.ConfigLoader.reload", "org.yaml.snakeyaml.composer.Composer.composeNode"),
    "hot.deploy": ("{pkg}.{Svc}Service.enrichLineItems",),
    "hot.latency": ("{pkg}.store.LocalStore.read", "java.io.RandomAccessFile.readBytes"),
    "hot.flag": ("{pkg}.experiments.{Flag}Experiment.apply",),
    "hot.pool_leak": (
        "{pkg}.{Svc}Repository.saveWithAudit",
        "{pkg}.client.AuditClient.record",
        "java.net.SocketInputStream.socketRead0",
    ),
    "leak": ("{pkg}.cache.{Svc}RequestCache.put", "java.util.concurrent.ConcurrentHashMap.putVal"),
    "heap": (
        ("byte[] <- io.netty.buffer.PoolArena.allocateNormal", 0.24),
        ("java.lang.Class metadata (Metaspace)", 0.2),
        ("char[] <- com.fasterxml.jackson.core.util.TextBuffer.contentsAsString", 0.14),
        ("java.util.HashMap$Node[] <- org.hibernate.engine.internal.StatefulPersistenceContext.<init>", 0.1),
        ("byte[] <- org.postgresql.core.PGStream.<init>", 0.08),
        ("java.lang.String <- org.springframework.web.util.UrlPathHelper.getPathWithinApplication", 0.06),
        ("byte[] <- ch.qos.logback.core.encoder.LayoutWrappingEncoder.encode", 0.03),
    ),
    "background": (
        ("G1 Conc#0", "RUNNABLE", ("G1ConcurrentMarkThread::run_service",)),
        (
            "HikariPool-1 housekeeper",
            "TIMED_WAITING",
            (
                "java.lang.Thread.run",
                "java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue.take",
                "jdk.internal.misc.Unsafe.park",
            ),
        ),
        (
            "http-nio-8080-Acceptor",
            "RUNNABLE",
            (
                "java.lang.Thread.run",
                "org.apache.tomcat.util.net.Acceptor.run",
                "sun.nio.ch.ServerSocketChannelImpl.accept",
            ),
        ),
        (
            "http-nio-8080-Poller",
            "RUNNABLE",
            ("java.lang.Thread.run", "org.apache.tomcat.util.net.NioEndpoint$Poller.run", "sun.nio.ch.EPoll.wait"),
        ),
    ),
    "workers": 200,
    "worker_name": "http-nio-8080-exec-{n}",
}

_GO = {
    "server": (
        "runtime.goexit",
        "net/http.(*conn).serve",
        "net/http.serverHandler.ServeHTTP",
        "github.com/go-chi/chi/v5.(*Mux).ServeHTTP",
    ),
    "serialize": ("encoding/json.Marshal", "encoding/json.(*encodeState).reflectValue"),
    "client.service": ("net/http.(*Client).Do", "net/http.(*persistConn).roundTrip", "internal/poll.(*FD).Read"),
    "client.database": (
        "database/sql.(*DB).QueryContext",
        "github.com/jackc/pgx/v5/pgconn.(*PgConn).ReceiveMessage",
        "internal/poll.(*FD).Read",
    ),
    "client.cache": (
        "github.com/redis/go-redis/v9.(*Client).Get",
        "github.com/redis/go-redis/v9/internal/proto.(*Reader).ReadReply",
        "internal/poll.(*FD).Read",
    ),
    "pool_wait": ("database/sql.(*DB).QueryContext", "database/sql.(*DB).conn", "runtime.selectgo"),
    "gc": ("runtime.gcBgMarkWorker", "runtime.gcDrain", "runtime.scanobject"),
    "gc.full": ("runtime.mallocgc", "runtime.gcAssistAlloc", "runtime.gcDrainN"),
    "logger": (
        "go.uber.org/zap.(*Logger).Info",
        "go.uber.org/zap/zapcore.(*ioCore).Write",
        "os.(*File).Write",
        "syscall.write",
    ),
    "logger.lock": (
        "go.uber.org/zap.(*Logger).Info",
        "go.uber.org/zap/zapcore.(*lockedWriteSyncer).Write",
        "sync.(*Mutex).Lock",
        "runtime.semacquire1",
    ),
    "debug": ("go.uber.org/zap.(*Logger).Debug", "go.uber.org/zap/zapcore.(*jsonEncoder).EncodeEntry"),
    "exception": ("fmt.Errorf", "fmt.(*pp).doPrintf"),
    "retry": ("github.com/cenkalti/backoff/v4.RetryNotify",),
    "backoff": ("github.com/cenkalti/backoff/v4.RetryNotify", "time.Sleep"),
    "tls": (
        "crypto/tls.(*Conn).HandshakeContext",
        "crypto/tls.(*Conn).verifyServerCertificate",
        "crypto/x509.(*Certificate).Verify",
    ),
    "idle": (
        "runtime.goexit",
        "net/http.(*conn).serve",
        "bufio.(*Reader).Peek",
        "internal/poll.(*FD).Read",
        "runtime.gopark",
    ),
    "accept": ("runtime.goexit", "net/http.(*Server).Serve", "net.(*TCPListener).Accept"),
    "handler": "{pkg}/internal/api.(*Handler).{Verb}{Path}",
    "service_method": "{pkg}/internal/{svcid}.(*Service).{Verb}{Path}",
    "client": "{pkg}/internal/clients.(*{Dep}Client).Call",
    "hot.regex": (
        "{pkg}/internal/routing.(*RuleMatcher).Match",
        "regexp.(*Regexp).doExecute",
        "regexp.(*machine).step",
    ),
    "hot.parser": ("{pkg}/internal/config.(*Loader).Reload", "gopkg.in/yaml.v3.(*parser).parse"),
    "hot.deploy": ("{pkg}/internal/{svcid}.(*Service).EnrichLineItems",),
    "hot.latency": ("{pkg}/internal/store.(*LocalStore).Read", "os.(*File).ReadAt", "syscall.pread"),
    "hot.flag": ("{pkg}/internal/experiments.{Flag}.Apply",),
    "hot.pool_leak": (
        "{pkg}/internal/repo.(*Repository).SaveWithAudit",
        "{pkg}/internal/clients.(*AuditClient).Record",
        "internal/poll.(*FD).Read",
    ),
    "leak": ("{pkg}/internal/cache.(*RequestCache).Put", "runtime.makeslice", "runtime.mallocgc"),
    "heap": (
        ("bufio.NewReaderSize", 0.22),
        ("encoding/json.(*decodeState).literalStore", 0.18),
        ("runtime.malg (goroutine stacks)", 0.15),
        ("github.com/jackc/pgx/v5/pgconn.connect", 0.1),
        ("net/http.(*Transport).dialConn", 0.1),
        ("go.uber.org/zap/buffer.NewPool", 0.04),
    ),
    "background": (
        ("runtime.gcBgMarkWorker", "WAITING", ("runtime.gopark", "runtime.gcBgMarkWorker")),
        (
            "database/sql.(*DB).connectionOpener",
            "WAITING",
            ("runtime.gopark", "runtime.selectgo", "database/sql.(*DB).connectionOpener"),
        ),
        (
            "net/http.(*Server).Serve",
            "BLOCKED",
            ("net.(*TCPListener).Accept", "internal/poll.(*FD).Accept", "runtime.gopark"),
        ),
    ),
    "workers": 0,
    "worker_name": "goroutine {n}",
}

_PYTHON = {
    "server": (
        "gunicorn.workers.gthread.ThreadWorker.handle",
        "django.core.handlers.wsgi.WSGIHandler.__call__",
        "django.core.handlers.base.BaseHandler._get_response",
    ),
    "serialize": ("rest_framework.renderers.JSONRenderer.render", "json.encoder.JSONEncoder.iterencode"),
    "client.service": (
        "requests.sessions.Session.request",
        "urllib3.connectionpool.HTTPConnectionPool.urlopen",
        "socket.socket.recv_into",
    ),
    "client.database": (
        "django.db.models.query.QuerySet._fetch_all",
        "django.db.backends.utils.CursorWrapper.execute",
        "psycopg2.extensions.cursor.execute",
    ),
    "client.cache": (
        "django_redis.cache.RedisCache.get",
        "redis.connection.Connection.read_response",
        "socket.socket.recv_into",
    ),
    "pool_wait": (
        "sqlalchemy.pool.base.Pool.connect",
        "sqlalchemy.pool.impl.QueuePool._do_get",
        "threading.Condition.wait",
    ),
    "gc": ("[GC] gc.collect", "gcmodule.c:collect", "gcmodule.c:subtract_refs"),
    "gc.full": ("[GC] gc.collect (generation 2)", "gcmodule.c:collect", "gcmodule.c:move_unreachable"),
    "logger": ("logging.Logger._log", "logging.FileHandler.emit", "io.BufferedWriter.write"),
    "logger.lock": ("logging.Logger._log", "logging.Handler.acquire", "threading.RLock.acquire"),
    "debug": ("logging.Logger.debug", "logging.Formatter.format"),
    "exception": ("traceback.StackSummary.extract", "linecache.getline"),
    "retry": ("tenacity.Retrying.__call__",),
    "backoff": ("tenacity.Retrying.__call__", "time.sleep"),
    "tls": ("ssl.SSLSocket.do_handshake", "_ssl._SSLSocket.do_handshake"),
    "idle": ("threading.Thread._bootstrap", "concurrent.futures.thread._worker", "queue.SimpleQueue.get"),
    "accept": ("gunicorn.workers.gthread.ThreadWorker.run", "selectors.EpollSelector.select"),
    "handler": "{pkg}.views.{verb}_{path}",
    "service_method": "{pkg}.services.{verb}_{path}",
    "client": "{pkg}.clients.{dep}.call",
    "hot.regex": ("{pkg}.routing.RuleMatcher.matches", "re.Pattern.fullmatch", "_sre.SRE_Match"),
    "hot.parser": ("{pkg}.config.loader.reload", "yaml.composer.Composer.compose_node"),
    "hot.deploy": ("{pkg}.services.enrich_line_items",),
    "hot.latency": ("{pkg}.store.local_store.read", "io.FileIO.readinto"),
    "hot.flag": ("{pkg}.experiments.{flag}.apply",),
    "hot.pool_leak": ("{pkg}.repository.save_with_audit", "{pkg}.clients.audit.record", "socket.socket.recv_into"),
    "leak": ("{pkg}.cache.request_cache.put", "dict.__setitem__"),
    "heap": (
        ("builtins.dict <- django.db.models.base.Model.__init__", 0.2),
        ("builtins.str <- json.decoder.JSONDecoder.raw_decode", 0.16),
        ("code objects (imported modules)", 0.3),
        ("builtins.bytes <- ssl.SSLSocket.recv_into", 0.08),
        ("builtins.list <- django.db.models.query.QuerySet._fetch_all", 0.08),
    ),
    "background": (
        (
            "MainThread (gunicorn arbiter)",
            "WAITING",
            ("gunicorn.workers.gthread.ThreadWorker.run", "selectors.EpollSelector.select"),
        ),
    ),
    "workers": 32,
    "worker_name": "ThreadPoolExecutor-0_{n}",
}

_POSTGRES = {
    "server": ("postgres: PostgresMain", "exec_simple_query", "PortalRun"),
    "serialize": ("printtup", "pq_sendcountedtext"),
    "gc": ("autovacuum worker", "heap_vacuum_rel", "lazy_scan_heap"),
    "gc.full": ("autovacuum worker", "heap_vacuum_rel", "lazy_scan_heap"),
    "logger": ("XLogFlush", "XLogWrite", "pg_pwrite"),
    "logger.lock": ("XLogFlush", "LWLockAcquireOrWait", "PGSemaphoreLock"),
    "debug": ("errfinish", "EmitErrorReport", "write_syslogger_file"),
    "exception": ("errfinish", "EmitErrorReport"),
    "pool_wait": ("ProcessClientReadInterrupt", "LWLockAcquire", "PGSemaphoreLock"),
    "tls": ("secure_open_server", "be_tls_open_server", "SSL_do_handshake"),
    "idle": ("postgres: PostgresMain", "ReadCommand", "secure_read", "WaitEventSetWait", "epoll_wait"),
    "accept": ("PostmasterMain", "ServerLoop", "WaitEventSetWait"),
    "handler": "Exec{Scan}",
    "hot.regex": ("textregexeq", "RE_execute", "pg_regexec", "cfindloop"),
    "hot.parser": ("ProcessConfigFile", "ParseConfigFp"),
    "hot.deploy": ("ExecHashJoin", "ExecScanHashBucket"),
    "hot.latency": ("ReadBuffer_common", "mdread", "pg_pread"),
    "hot.flag": ("ExecNestLoop", "ExecSeqScan"),
    "hot.pool_leak": ("exec_simple_query", "ClientRead (idle in transaction)", "secure_read"),
    "leak": ("MemoryContextAlloc", "AllocSetAlloc"),
    "heap": (
        ("shared_buffers", 0.6),
        ("CacheMemoryContext", 0.12),
        ("MessageContext", 0.06),
        ("work_mem (sorts and hashes)", 0.1),
    ),
    "background": (
        ("checkpointer", "WAITING", ("CheckpointerMain", "WaitLatch", "epoll_wait")),
        ("walwriter", "WAITING", ("WalWriterMain", "WaitLatch", "epoll_wait")),
        ("autovacuum launcher", "WAITING", ("AutoVacLauncherMain", "WaitLatch", "epoll_wait")),
    ),
    "workers": 100,
    "worker_name": "postgres backend pid {pid}",
}

_REDIS = {
    "server": ("main", "aeMain", "aeProcessEvents", "readQueryFromClient", "processCommand", "call"),
    "serialize": ("addReplyBulk", "_addReplyToBufferOrList"),
    "gc": ("serverCron", "activeExpireCycle", "dictScan"),
    "gc.full": ("serverCron", "evictionPoolPopulate", "dictGetSomeKeys"),
    "logger": ("serverLog", "fwrite"),
    "logger.lock": ("serverLog", "fflush", "write"),
    "debug": ("serverLogRaw", "vfprintf"),
    "exception": ("addReplyError", "addReplyErrorLength"),
    "pool_wait": ("acceptCommonHandler", "freeClient"),
    "tls": ("connTLSAccept", "SSL_do_handshake"),
    "idle": ("main", "aeMain", "aeProcessEvents", "aeApiPoll", "epoll_wait"),
    "accept": ("main", "aeMain", "acceptTcpHandler", "anetGenericAccept"),
    "handler": "{cmd}Command",
    "hot.regex": ("keysCommand", "stringmatchlen"),
    "hot.parser": ("configSetCommand", "loadServerConfigFromString"),
    "hot.deploy": ("lookupKeyRead", "dictFind"),
    "hot.latency": ("rdbSaveRio", "rioWrite", "fsync"),
    "hot.flag": ("scanGenericCommand", "dictScan"),
    "hot.pool_leak": ("blockForKeys", "blockClient"),
    "leak": ("createStringObject", "zmalloc"),
    "heap": (("dataset (keys and values)", 0.7), ("client output buffers", 0.08), ("replication backlog", 0.1)),
    "background": (
        ("bio_close_file", "WAITING", ("bioProcessBackgroundJobs", "pthread_cond_wait")),
        ("bio_aof", "WAITING", ("bioProcessBackgroundJobs", "pthread_cond_wait")),
    ),
    "workers": 1,
    "worker_name": "redis-server main thread",
}

_ENVOY = {
    "server": (
        "Envoy::Event::DispatcherImpl::run",
        "Envoy::Network::ConnectionImpl::onReadReady",
        "Envoy::Http::ConnectionManagerImpl::onData",
    ),
    "serialize": ("Envoy::Http::Http1::ServerConnectionImpl::encodeHeaders", "Envoy::Buffer::OwnedImpl::add"),
    "client.service": ("Envoy::Http::Http1::ConnPoolImpl::newStream", "Envoy::Network::ConnectionImpl::onWriteReady"),
    "gc": ("Envoy::Server::InstanceImpl::flushStats", "Envoy::Stats::ThreadLocalStoreImpl::mergeHistograms"),
    "gc.full": ("tcmalloc::ThreadCache::Scavenge", "tcmalloc::CentralFreeList::ReleaseToSpans"),
    "logger": ("Envoy::AccessLog::FileAccessLog::emitLog", "Envoy::Filesystem::FileImpl::write", "write"),
    "logger.lock": ("Envoy::AccessLog::AccessLogFileImpl::write", "absl::Mutex::Lock", "futex_wait"),
    "debug": ("Envoy::Logger::DelegatingLogSink::log", "spdlog::details::fmt_helper::append_string_view"),
    "exception": (
        "Envoy::Http::Utility::sendLocalReply",
        "Envoy::Http::ConnectionManagerImpl::ActiveStream::sendLocalReply",
    ),
    "pool_wait": (
        "Envoy::Upstream::ConnPoolImplBase::newStreamImpl",
        "Envoy::Upstream::ConnPoolImplBase::onPendingRequest",
    ),
    "retry": ("Envoy::Router::RetryStateImpl::shouldRetryReset",),
    "backoff": ("Envoy::Router::RetryStateImpl::enableBackoffTimer", "Envoy::Event::TimerImpl::enableTimer"),
    "tls": ("Envoy::Extensions::TransportSockets::Tls::SslSocket::doHandshake", "SSL_do_handshake", "X509_verify_cert"),
    "idle": ("Envoy::Event::DispatcherImpl::run", "event_base_loop", "epoll_wait"),
    "accept": ("Envoy::Network::TcpListenerImpl::onSocketEvent", "accept4"),
    "handler": "Envoy::Router::Filter::decodeHeaders",
    "client": "Envoy::Router::UpstreamRequest::encodeHeaders [cluster {dep}]",
    "hot.regex": (
        "Envoy::Router::RouteMatcher::route",
        "Envoy::Router::RegexRouteEntryImpl::matches",
        "std::__detail::_Executor::_M_dfs",
    ),
    "hot.parser": (
        "Envoy::Config::GrpcMuxImpl::onDiscoveryResponse",
        "Envoy::MessageUtil::loadFromYaml",
        "YAML::Parser::HandleNextDocument",
    ),
    "hot.deploy": (
        "Envoy::Http::FilterManager::decodeHeaders",
        "Envoy::Extensions::HttpFilters::Lua::Filter::doHeaders",
    ),
    "hot.latency": ("Envoy::Network::ConnectionImpl::onWriteReady", "writev"),
    "hot.flag": ("Envoy::Extensions::HttpFilters::HeaderToMetadataFilter::decodeHeaders",),
    "hot.pool_leak": ("Envoy::Http::Http1::ActiveClient::onEvent",),
    "leak": ("Envoy::Http::ConnectionManagerImpl::newStream", "tc_new"),
    "heap": (
        ("Envoy::Stats::ThreadLocalStoreImpl (stats)", 0.3),
        ("Envoy::Buffer::OwnedImpl slices", 0.25),
        ("route table", 0.15),
        ("TLS contexts", 0.06),
    ),
    "background": (
        ("main_thread", "WAITING", ("Envoy::Event::DispatcherImpl::run", "epoll_wait")),
        (
            "access_log_flush",
            "TIMED_WAITING",
            ("Envoy::AccessLog::AccessLogFileImpl::flushThreadFunc", "pthread_cond_timedwait"),
        ),
    ),
    "workers": 4,
    "worker_name": "wrk:worker_{n}",
}

_NGINX = {
    "server": ("main", "ngx_master_process_cycle", "ngx_start_worker_processes", "ngx_spawn_process",
               "ngx_worker_process_cycle",
               "ngx_process_events_and_timers", "ngx_epoll_process_events"),
    "serialize": ("ngx_http_write_filter", "ngx_linux_sendfile_chain", "writev"),
    "client.service": ("ngx_http_upstream_connect", "ngx_event_connect_peer", "connect"),
    "gc": ("ngx_event_expire_timers", "ngx_http_upstream_next"),
    "gc.full": ("ngx_http_file_cache_manager", "ngx_http_file_cache_forced_expire"),
    "logger": ("ngx_http_log_handler", "ngx_http_log_write", "write"),
    "logger.lock": ("ngx_http_log_flush", "ngx_shmtx_lock", "futex_wait"),
    "debug": ("ngx_log_error_core", "ngx_vslprintf"),
    "exception": ("ngx_http_finalize_request", "ngx_http_special_response_handler"),
    "pool_wait": ("ngx_http_upstream_init_round_robin_peer", "ngx_http_upstream_get_round_robin_peer"),
    "retry": ("ngx_http_upstream_next",),
    "backoff": ("ngx_http_upstream_next", "ngx_event_add_timer"),
    "tls": ("ngx_http_upstream_ssl_init_connection", "ngx_ssl_handshake", "SSL_do_handshake", "X509_verify_cert"),
    "idle": ("ngx_worker_process_cycle", "ngx_process_events_and_timers", "epoll_wait"),
    "accept": ("ngx_event_accept", "accept4"),
    "handler": "ngx_http_proxy_handler",
    "client": "ngx_http_upstream_send_request [upstream {dep}]",
    "hot.regex": ("ngx_http_core_find_location", "ngx_http_regex_exec", "pcre2_match_8"),
    "hot.parser": ("ngx_conf_parse", "ngx_conf_read_token"),
    "hot.deploy": ("ngx_http_lua_access_handler", "lj_vm_call"),
    "hot.latency": ("ngx_http_upstream_process_header", "recv"),
    "hot.flag": ("ngx_http_map_find", "ngx_hash_find_combined"),
    "hot.pool_leak": ("ngx_http_upstream_keepalive_close_handler",),
    "leak": ("ngx_http_create_request", "ngx_palloc_large", "malloc"),
    "heap": (("request pools (ngx_pool_t)", 0.35), ("upstream buffers (proxy_buffers)", 0.3),
             ("shared memory zones (limit_req, upstream)", 0.12), ("TLS session cache", 0.08)),
    "background": (
        ("nginx: master process", "WAITING", ("main", "ngx_master_process_cycle", "sigsuspend")),
        ("nginx: cache manager process", "TIMED_WAITING", ("ngx_cache_manager_process_cycle", "epoll_wait")),
    ),
    "workers": 4,
    "worker_name": "nginx: worker process {n}",
}  # fmt: skip

RUNTIMES = {"java": _JAVA, "go": _GO, "python": _PYTHON, "postgres": _POSTGRES, "redis": _REDIS, "envoy": _ENVOY,
            "nginx": _NGINX}  # fmt: skip

NATIVE_STATE = {
    "go": {
        "RUNNABLE": "running",
        "BLOCKED": "IO wait",
        "WAITING": "select",
        "TIMED_WAITING": "sleep",
        "LOCKED": "semacquire",
    },
    "postgres": {
        "RUNNABLE": "active",
        "BLOCKED": "active (wait: IO)",
        "WAITING": "active (wait: LWLock)",
        "TIMED_WAITING": "idle",
        "LOCKED": "active (wait: WALWrite)",
    },
}
"""How a runtime's own dump names the canonical states (Java's names are the canonical ones)."""


def camel(text: str) -> str:
    """``orders-db`` -> ``OrdersDb``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


@dataclass(frozen=True)
class ServiceFrames:
    """The frames of one service: its runtime's names filled in with its own code names."""

    spec: Service
    language: str

    @staticmethod
    def of(spec: Service) -> ServiceFrames:
        """Frames for a service: its ``stack`` if given, else by kind."""
        stack = spec.stack or Stack()
        return ServiceFrames(spec, stack.language or KIND_LANGUAGE[spec.kind])

    @property
    def table(self) -> dict:
        return RUNTIMES[self.language]

    @property
    def package(self) -> str:
        if self.spec.stack is not None and self.spec.stack.package:
            return self.spec.stack.package
        name = self.spec.name
        if self.language == "go":
            return f"github.com/shop/{name}"
        if self.language == "python":
            return name.replace("-", "_")
        return "com.shop." + name.replace("-", "")

    def fill(self, template: str, **extra: str) -> str:
        """A template with the service's names (and ``extra``) filled in."""
        words = {
            "pkg": self.package,
            "Svc": camel(self.spec.name),
            "svc": self.spec.name,
            "svcid": self.spec.name.replace("-", ""),
            **extra,
        }
        return template.format(**words)

    def frames(self, place: str, **extra: str) -> tuple[str, ...]:
        """The frames of a place (``server``, ``pool_wait``, ``hot.regex``...), names filled in."""
        return tuple(self.fill(f, **extra) for f in self.table.get(place, ()))

    def handler(self, route: str) -> tuple[str, ...]:
        """The frames a request to ``route`` runs through below the server frames."""
        stack = self.spec.stack
        if stack is not None and route in stack.handlers:
            return (stack.handlers[route],)
        verb, _, path = route.partition(" ")
        words = [w for w in re.split(r"[/{}]+", path) if w and w != "api"]
        path_camel = "".join("By" + camel(w) if route.count("{" + w + "}") else camel(w) for w in words) or "Root"
        if self.language == "postgres":
            scan = "ModifyTable" if verb.upper() in ("UPDATE", "INSERT", "DELETE") else "IndexScan"
            return (
                self.fill(self.table["handler"], Scan=scan),
                "index_getnext_slot" if scan == "IndexScan" else "heap_update",
            )
        if self.language == "redis":
            return (self.fill(self.table["handler"], cmd=verb.lower() or "get"), "lookupKeyRead", "dictFind")
        if self.language == "envoy":
            return ("Envoy::Http::FilterManager::decodeHeaders", self.table["handler"])
        if self.language == "nginx":
            return ("ngx_http_core_content_phase", self.table["handler"])
        snake = "_".join(re.sub(r"[^a-z0-9]+", "_", w.lower()).strip("_") for w in words) or "root"
        handler = self.fill(
            self.table["handler"], verb=verb.lower(), Verb=camel(verb.lower()), Path=path_camel, path=snake
        )
        method = self.fill(
            self.table["service_method"], verb=verb.lower(), Verb=camel(verb.lower()), Path=path_camel, path=snake
        )
        return (handler, method)

    def client(self, dep: str, dep_kind: str) -> tuple[str, ...]:
        """Frames of a call to dependency ``dep`` (its own client function, then the library's)."""
        stack = self.spec.stack
        own = stack.clients.get(dep) if stack is not None else None
        library = self.table.get(f"client.{dep_kind}") or self.table.get("client.service", ())
        if own is None and "client" in self.table:
            own = self.fill(self.table["client"], Dep=camel(dep), dep=dep.replace("-", "_"))
        return ((own,) if own else ()) + tuple(library)
