//! Models: labels, learners, calibration, walk-forward evaluation and portable model files.
