import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { stepBackOverSignIn, watchStepBack } from './sign-in-return';
import './ui/styles.css';

function render(): void {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

// Back from single sign-on, the page steps back over the provider's pages: nothing to start here
// (no camera, no requests), unless the step does not happen after all.
if (stepBackOverSignIn()) {
  setTimeout(render, 3000);
} else {
  watchStepBack();
  render();
}
