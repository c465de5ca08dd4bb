"""Speech: offline text-to-speech (espeak-ng) and speech recognition (pocketsphinx, model dirs)."""
