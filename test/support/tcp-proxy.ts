export { type ProxyMode, startTcpProxy, type TcpProxy } from '../../src/chaos/tcp-proxy.ts';
