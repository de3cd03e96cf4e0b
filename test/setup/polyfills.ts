import '../../infra/local/polyfills';
