import { api } from '../shared/api';
void api;
