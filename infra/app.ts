import { buildApp } from './build-app';

/** CDK entry (`cdk.json`): synthesizes the stage given by `-c stage=…` (default `dev`). */
buildApp().app.synth();
