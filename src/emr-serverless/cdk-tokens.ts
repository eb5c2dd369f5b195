import { Token } from 'aws-cdk-lib';
import { setUnresolvedCheck } from '../config/unresolved';

// The configuration model and the run contract load no aws-cdk-lib (the command line starts without it); in a
// CDK app, loading the constructs teaches them CDK's tokens, which are checked at deployment, not at synth.
setUnresolvedCheck(value => Token.isUnresolved(value));
